/**
 * The durable, content-addressed chunk store of a weft node.
 *
 * Chunks are immutable byte strings named by their CIDv1 (raw codec,
 * sha2-256), the ids IPFS uses. Each chunk is one file under
 * `<dir>/chunks/ab/cd/<cid>`, written temp file -> fsync -> rename -> fsync
 * dir -> synchronous index write, so a crash leaves either no chunk or a
 * whole one. The index lives in level, ordered by partition.
 *
 * @example
 *
 * ```ts
 * import { CID } from 'multiformats/cid'
 * import * as raw from 'multiformats/codecs/raw'
 * import { sha256 } from 'multiformats/hashes/sha2'
 * import { openChunkStore } from './store/index.js'
 *
 * const store = await openChunkStore({ dir: '/var/lib/weft', capacityBytes: 100 * 2 ** 30 })
 * const bytes = new TextEncoder().encode('hello')
 * const cid = CID.createV1(raw.code, await sha256.digest(bytes))
 * await store.put(cid, bytes)
 * for await (const piece of store.get(cid, { offset: 1, length: 3 })) {
 *   // 'ell'
 * }
 * await store.close()
 * ```
 */
import { DefaultChunkStore } from './store.js'
import type { MetaDb } from './chunk-index.js'
import type { StoreUsage } from './capacity.js'
import type { TypedEventTarget } from '@libp2p/interface'
import type { ChunkPolicy } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

export * from './errors.js'
// MAX_CHUNK_SIZE and DEFAULT_CHUNK_SIZE are @weft/protocol's (./constants.ts re-binds them)
export { DEFAULT_RESERVE_BYTES, DEFAULT_FULL_BELOW_BYTES, CHECK_BLOCK_SIZE } from './constants.js'
export type { MetaDb } from './chunk-index.js'
export type { StoreUsage } from './capacity.js'

export interface ChunkStoreInit {
  /** the node's data dir; the store uses `<dir>/chunks`, `<dir>/tmp`, `<dir>/quarantine` and `<dir>/meta` */
  dir: string
  /**
   * most bytes of chunks to hold
   *
   * @default Infinity (only the real free space limits the store)
   */
  capacityBytes?: number
  /**
   * free disk space the store never writes into
   *
   * @default DEFAULT_RESERVE_BYTES (64 MiB)
   */
  reserveBytes?: number
  /**
   * largest chunk accepted
   *
   * @default MAX_CHUNK_SIZE (8 MiB, the protocol's limit)
   */
  maxChunkSize?: number
  /**
   * `usage().full` is true once fewer than this many bytes can be accepted
   *
   * @default DEFAULT_FULL_BELOW_BYTES (4 MiB, one default chunk)
   */
  fullBelowBytes?: number
  /**
   * an already-open level db to share with the rest of the node; the index
   * goes into its `chunks` sublevel and `close()` leaves the db open.
   *
   * @default a db opened (and closed) by the store at `<dir>/meta`
   */
  db?: MetaDb
}

export interface ChunkStoredEvent { cid: CID, size: number }
export interface ChunkDeletedEvent { cid: CID, size: number }
export interface ChunkCorruptEvent {
  cid: CID
  /** what failed: 'sha2-256 mismatch', 'checksum mismatch in block 3', 'file missing'... */
  reason: string
  /** size from the index, if the chunk was indexed */
  size?: number
  /** where the bad file was moved, if there was one */
  quarantinedTo?: string
  /** the placement policies its entry held (so a good copy can be fetched and placed back) */
  policies: readonly ChunkPolicy[]
}

export interface ChunkStoreEvents {
  'chunk:stored': CustomEvent<ChunkStoredEvent>
  'chunk:deleted': CustomEvent<ChunkDeletedEvent>
  'chunk:corrupt': CustomEvent<ChunkCorruptEvent>
}

export interface PutOptions {
  /**
   * the chunk's size if known: checked against `maxChunkSize` and the free
   * space before any byte is read, and the bytes received must match it
   */
  size?: number
  /** placement policies the chunk is written under: kept in its entry (merged into an existing one's) */
  policies?: readonly ChunkPolicy[]
  signal?: AbortSignal
}

export interface PutResult {
  size: number
  /** the chunk was already stored; nothing was written */
  existed: boolean
}

export interface GetOptions {
  /** @default 0 */
  offset?: number
  /** @default the rest of the chunk */
  length?: number
  signal?: AbortSignal
}

export interface ChunkStat {
  size: number
  /** `partitionOfDigest` of @weft/placement */
  partition: number
  /** ms since the epoch */
  storedAt: number
  /** the placement policies it was written under (empty when none was given) */
  policies: readonly ChunkPolicy[]
}

export interface ListOptions {
  /** only this partition, in [0, PARTITION_COUNT) of @weft/placement (one contiguous index range) */
  partition?: number
  signal?: AbortSignal
}

export interface ListedChunk {
  cid: CID
  size: number
  partition: number
  /** ms since the epoch */
  storedAt: number
  /** the placement policies it was written under (empty when none was given) */
  policies: readonly ChunkPolicy[]
}

export interface StoreCounters {
  /** stored chunks found corrupt and quarantined (by reads, verify or startup) */
  corruptChunks: number
  /** puts rejected because the bytes did not hash to the id */
  hashMismatches: number
  /** puts rejected with StoreFullError */
  rejectedFull: number
}

export interface ChunkStore extends TypedEventTarget<ChunkStoreEvents> {
  /**
   * Store a chunk from a stream (or one buffer), verifying that the bytes hash
   * to `cid`. Resolves once the chunk is durable and indexed.
   *
   * If the chunk is already stored, nothing is written or hashed: the source
   * is drained and discarded (a network caller's stream stays in step) with
   * only its length checked, and `existed: true` is returned. Callers that can
   * skip sending should call `has()` first. On any error nothing is stored,
   * and the source may be left partly read (the caller resets its stream).
   *
   * @throws InvalidCidError, ChunkTooLargeError, StoreFullError, SizeMismatchError, HashMismatchError, StoreClosedError
   */
  put(cid: CID, source: AsyncIterable<Uint8Array> | Uint8Array, options?: PutOptions): Promise<PutResult>

  /**
   * Stream a chunk, or `length` bytes of it from `offset`, from disk with
   * memory bounded by one read block (256 KiB).
   *
   * Guarantee: a full read (no range, or the range 0..size) is hashed while
   * streaming and the final block is only yielded once the whole chunk has
   * matched its id, so an iteration that completes delivered exactly the
   * chunk; a corrupt chunk makes it throw ChunkCorruptError before the last
   * block and the bytes already yielded must be discarded. A range read
   * checks the CRC32 of every 64 KiB block it touches before yielding any of
   * its bytes. Either way the bad copy is quarantined and 'chunk:corrupt'
   * emitted.
   *
   * Nothing happens until the iterable is iterated; every error surfaces there.
   *
   * @throws InvalidCidError, ChunkNotFoundError, InvalidRangeError, ChunkCorruptError, StoreClosedError
   */
  get(cid: CID, options?: GetOptions): AsyncIterable<Uint8Array>

  /**
   * for each id, whether the chunk is stored; with `touch` (a writer's HAS
   * probe) the held ones count as touched now, so GC keeps them a while
   */
  has(cids: CID[], options?: { touch?: boolean }): Promise<boolean[]>

  stat(cid: CID): Promise<ChunkStat | undefined>

  /** remove a chunk; false if it was not stored */
  delete(cid: CID): Promise<boolean>

  /**
   * ms since the epoch of the chunk's last touch: a `has` with `touch`, or a
   * put of it while held. Touches are kept in memory only, so this is at
   * least the store's open time.
   */
  touchedAt(cid: CID): number

  /** forgets touches older than `time` (they no longer protect anything) */
  forgetTouchesBefore(time: number): void

  /**
   * Garbage collection's delete: under the chunk's lock, removes it only if
   * it was stored and last touched before `before`. Resolves the bytes freed
   * (0 when it was kept or not stored).
   */
  deleteUntouched(cid: CID, before: number): Promise<number>

  /** adds placement policies to a stored chunk's entry (deduplicated, bounded); false if it is not stored */
  addPolicies(cid: CID, policies: readonly ChunkPolicy[]): Promise<boolean>

  /** stored chunks in partition order, or those of one partition */
  list(options?: ListOptions): AsyncIterable<ListedChunk>

  /**
   * Re-hash a stored chunk from disk (scrub). true if it is intact; false if
   * it was corrupt or its file was missing (it has then been quarantined and
   * 'chunk:corrupt' emitted).
   *
   * @throws ChunkNotFoundError
   */
  verify(cid: CID, options?: { signal?: AbortSignal }): Promise<boolean>

  /**
   * Move a stored chunk's file to `<dir>/quarantine`, drop it from the index
   * and emit 'chunk:corrupt'. false if there was nothing to quarantine.
   */
  quarantine(cid: CID, reason: string): Promise<boolean>

  /** bytes used and free; what the node record reports */
  usage(): StoreUsage

  counters(): StoreCounters

  /** abort puts in flight, wait for them, and close the db if the store opened it */
  close(): Promise<void>
}

/**
 * Open (creating if needed) the chunk store in `init.dir`: opens the index,
 * empties `<dir>/tmp`, reconciles chunk files with the index after a crash,
 * and loads the usage figures.
 */
export async function openChunkStore (init: ChunkStoreInit): Promise<ChunkStore> {
  return DefaultChunkStore.open(init)
}
