/**
 * The data model node and client share: bucket names and keys, hybrid-clock
 * versions, chunk ids, manifests (trees of chunk lists with per-block hashes
 * for verified range reads), object refs and bucket records. Pure: no I/O
 * beyond the callbacks the caller passes in.
 *
 * @example
 * ```ts
 * const clock = new HybridClock({ writer: peerId.toString() })
 * const builder = new ManifestBuilder({ writeChunk: store.put, version: clock.now(), contentType: 'text/plain' })
 * for (const chunk of chunks) await builder.add(chunkEntry(chunk))
 * const { cid, info } = await builder.finish()
 * const reader = await ManifestReader.open(cid, { readChunk: store.get })
 * for await (const slice of reader.range(1000, 5000)) { ... planBlockRead(slice, info.blockSize, slice.start, slice.end) ... }
 * ```
 */
export * from './errors.js'
export * from './constants.js'
export { validateBucketName, validateKey, isValidBucketName, isValidKey, isReservedBucket, RESERVED_BUCKET_PREFIXES, RESERVED_BUCKET_SUFFIXES } from './names.js'
export { HybridClock, compareVersions, encodeVersion, decodeVersion, validateVersion, MAX_ENCODED_VERSION_LENGTH } from './hlc.js'
export type { Version, HybridClockInit } from './hlc.js'
export { chunkCid, chunkCidSync, cidFromDigest, isChunkCid, asChunkCid, verifyChunk } from './cid.js'
export { blockCount, blockHashesLength, hashBlocks, chunkEntry, blockHash, planBlockRead, verifyBlock, verifyBlockRead } from './blocks.js'
export type { ChunkEntry, BlockReadPlan } from './blocks.js'
export { validateContentType, metadataEntries } from './metadata.js'
export type { UserMetadata } from './metadata.js'
export { formatEtag } from './etag.js'
export { decodeManifestNode, encodeManifestNode, leafEntryBytes } from './manifest.js'
export type { ObjectInfo, ManifestChild, ManifestLeaf, ManifestIndex, ManifestNode, RootHeader } from './manifest.js'
export { ManifestBuilder } from './manifest-builder.js'
export type { ManifestBuilderInit, ManifestResult } from './manifest-builder.js'
export { ManifestReader } from './manifest-reader.js'
export type { ManifestReaderInit, ChunkSlice } from './manifest-reader.js'
export { estimateManifest } from './manifest-estimate.js'
export type { ManifestEstimate, ManifestEstimateInit } from './manifest-estimate.js'
export { validateRefRecord, encodeRefRecord, decodeRefRecord, newerRef, tombstone, isCollectableTombstone } from './ref-record.js'
export type { RefRecord } from './ref-record.js'
export {
  validateBucketPolicy, resolveBucketPolicy, bucketRecordLocation, validateBucketRecord, encodeBucketRecord,
  decodeBucketRecord, DEFAULT_BUCKET_POLICY, bucketsNamespacePolicy
} from './bucket-record.js'
export type { BucketPolicy, BucketRecord, BucketSpread } from './bucket-record.js'
