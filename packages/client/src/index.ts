import '@weft/protocol/polyfill'

/**
 * @weft/client: the embeddable weft client. `connect()` joins a mesh as a
 * client (not a storage member) through any node's address, keeps the
 * cluster map fresh, and stores and reads objects: puts stream in bounded
 * memory and are replicated chunk by chunk; gets read each chunk from the
 * best replica (same zone first, then measured latency and load), hedge
 * slow replicas, fail over on errors and corruption, and verify every byte
 * against content-addressed metadata before handing it over.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises'
 * import { connect } from '@weft/client'
 *
 * const client = await connect({
 *   seeds: ['/ip4/127.0.0.1/tcp/4001'],
 *   meshKey: await readFile('.weft/mesh.key'),
 *   zone: 'eu/dc1'                     // read from replicas in eu/dc1 first
 * })
 * try {
 *   await client.createBucket('photos', { replicas: 3 })
 *   await client.put('photos', 'cat.jpg', await readFile('cat.jpg'), { contentType: 'image/jpeg' })
 *   const bytes = await client.get('photos', 'cat.jpg').bytes()
 *   const head = await client.get('photos', 'cat.jpg', { range: { offset: 0, length: 1024 } }).bytes()
 *   for await (const o of client.list('photos', { prefix: 'c' })) console.log(o.key, o.size)
 *   client.get('photos', 'cat.jpg').toNodeReadable().pipe(process.stdout)
 * } finally {
 *   await client.close()
 * }
 * ```
 */
export { connect, WeftClient } from './client.js'
export type { ClientStatus, WeftClientEvents, WeftClientInit } from './client.js'

export type {
  ByteRange, GetOptions, ListOptions, ObjectHead, ObjectInfo, PutOptions, PutProgressEvent, PutResult
} from './objects/types.js'
export { NotFoundError } from './objects/errors.js'
export { DEFAULT_LIST_PAGE_SIZE, DEFAULT_PUT_CONCURRENCY, MAX_PUT_CONCURRENCY } from './objects/constants.js'
export { DEFAULT_MANIFEST_CACHE_BYTES } from './objects/manifest-cache.js'

export type { ReadCounters, ReadStats, ReplicaReaderInit } from './reads/reader.js'
export type { HedgedReadInit, ReplicaFault, ReplicaFaultKind } from './reads/hedged.js'
export type { ReadAheadInit } from './reads/read-ahead.js'
export type { PeerMeasurement, ReplicaStatsInit } from './reads/stats.js'
export { AttemptTimeoutError, ChunkUnavailableError } from './reads/errors.js'
export * from './reads/constants.js'

export { bytesFrom, collectBytes, toNodeReadable, toWebStream } from './stream-helpers.js'
export type { ByteSource, ObjectStream } from './stream-helpers.js'

export { connectMesh, MeshConnection, MeshClosedError, NoSeedReachableError } from './mesh/index.js'
export type { ConnectMeshInit, MeshEvents, MeshMember, MeshStatus, MeshTimings } from './mesh/index.js'
export { createRefClient, RefClient, ListIncompleteError, QuorumError } from './refs/index.js'
export type { ListPage, ListRefsOptions, PutRecordResult, RefClientInit, RefWrite } from './refs/index.js'
export { createBuckets, Buckets, BucketError, BucketExistsError, BucketNotEmptyError, NoSuchBucketError } from './buckets/index.js'
export type { BucketsInit, GetBucketOptions } from './buckets/index.js'

export { InsufficientReplicasError } from '@weft/protocol'
export type { BucketPolicy, BucketRecord, BucketSpread, UserMetadata, Version } from '@weft/protocol'
export { PolicyUnsatisfiableError } from '@weft/placement'
