/**
 * What the object operations need (small interfaces, so each can be tested
 * over in-memory parts) and the shapes they take and return.
 */
import type { ManifestCache } from './manifest-cache.js'
import type { ReplicaReader } from '../reads/reader.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Placement, PlacementPolicy } from '@weft/placement'
import type { BucketPolicy, ChunkClient, HybridClock, RefRecord, UserMetadata, Version, WriteChunkOptions, WriteChunkResult } from '@weft/protocol'

/**
 * The ref operations objects use (the client's RefClient: majority quorums
 * on the replica set of the ref's partition under the bucket's policy).
 */
export interface RefView {
  /** Writes a ref; resolves once a majority stored it (or holds a newer one). */
  putRef(ref: RefRecord, policy: PlacementPolicy, options?: AbortOptions): Promise<unknown>
  /** The newest ref a majority of replicas returns (a tombstone when deleted), or undefined. */
  getRef(bucket: string, key: string, policy: PlacementPolicy, options?: AbortOptions): Promise<RefRecord | undefined>
  /** Every live ref of `bucket` in key order, merged across the nodes, fetched page by page. */
  listRefs(bucket: string, policy: PlacementPolicy, options?: RefListOptions): AsyncIterable<RefRecord>
}

export interface RefListOptions extends AbortOptions {
  prefix?: string
  startAfter?: string
  limit?: number
  pageSize?: number
}

export interface ObjectComponents {
  chunks: Pick<ChunkClient, 'put' | 'has'>
  /** the current cluster map's placement */
  placement(): Placement
  refs: RefView
  /** the placement policy of an existing bucket (throws when it does not exist) */
  policyOf(bucket: string, options?: AbortOptions): Promise<BucketPolicy>
  clock: HybridClock
  reader: ReplicaReader
  manifests: ManifestCache
  /** peers not to write to (their record says they are full) */
  isFull?(peerId: string): boolean
  /** sends one chunk to r replicas (the chain write of @weft/protocol) */
  writeChunk(options: WriteChunkOptions): Promise<WriteChunkResult>
  /**
   * largest manifest node a put writes (tests use small ones to get trees)
   *
   * @default DEFAULT_MANIFEST_NODE_SIZE (@weft/protocol)
   */
  manifestNodeBytes?: number
}

/** Progress of a put: `bytes` of the object stored on every replica so far. */
export type PutProgressEvent =
  | { type: 'put:chunk', bytes: number, chunks: number, cid: string, holders: readonly string[] }
  | { type: 'put:manifest', bytes: number, chunks: number, cid: string }
  | { type: 'put:ref', bytes: number, chunks: number, cid: string }

export interface PutOptions extends AbortOptions {
  /** stored with the object and returned by head/list */
  contentType?: string
  /** user metadata (S3 rules: at most 2 KiB of keys and values) */
  metadata?: UserMetadata
  /** told as chunks, then the manifest, then the ref are stored */
  onProgress?(event: PutProgressEvent): void
  /**
   * chunk writes in flight at once (memory is about this many chunks plus the one being filled)
   *
   * @default DEFAULT_PUT_CONCURRENCY
   */
  concurrency?: number
}

/** What a completed put stored. */
export interface PutResult {
  readonly bucket: string
  readonly key: string
  readonly size: number
  readonly etag: string
  readonly version: Version
  /** the manifest root's CID */
  readonly manifest: string
  readonly chunks: number
}

export interface ByteRange {
  /** first byte */
  offset: number
  /**
   * bytes to read; clipped at the end of the object
   *
   * @default to the end
   */
  length?: number
}

export interface GetOptions extends AbortOptions {
  /** read only these bytes (fetches only the chunks and blocks they need) */
  range?: ByteRange
  /**
   * Read the version whose manifest root is this CID (`manifest` of what
   * `list()` or `head()` returned) instead of asking the ref replicas which
   * version is current: one majority read fewer per get, and with the
   * manifest cached a single round trip for a small object. For datasets a
   * reader lists once and then reads many times (training epochs). A
   * version deleted since (and collected after the grace period) throws
   * `NotFoundError`; a newer version written since is not seen.
   */
  manifest?: string
  /**
   * Lend each piece instead of giving it: a piece the loop receives is valid
   * only until the loop asks for the next one, and its memory is then
   * reused for bytes still to come. Copy what you keep. It spares the
   * reading process a fresh buffer for every 256 KiB it receives, which is
   * most of its CPU per GB on some machines (docs/PERFORMANCE.md). Applies
   * to iterating the stream with `for await` only: `bytes()`,
   * `toNodeReadable()` and `toWebStream()` always get pieces of their own.
   *
   * @default false
   */
  reuseBuffers?: boolean
}

/** What head (and list) say about an object. */
export interface ObjectHead {
  readonly bucket: string
  readonly key: string
  readonly size: number
  readonly etag: string
  readonly contentType?: string
  readonly version: Version
  /** the manifest root's CID */
  readonly manifest: string
}

/** head's full answer: list's fields plus what only the manifest holds. */
export interface ObjectInfo extends ObjectHead {
  readonly metadata: UserMetadata
  readonly chunks: number
}

export interface ListOptions extends AbortOptions {
  /** only keys starting with this */
  prefix?: string
  /** only keys after this one */
  startAfter?: string
  /**
   * most entries in all
   *
   * @default unlimited
   */
  limit?: number
  /**
   * entries fetched per round trip
   *
   * @default DEFAULT_LIST_PAGE_SIZE
   */
  pageSize?: number
}
