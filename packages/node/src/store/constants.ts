/**
 * Defaults and fixed limits of the chunk store. Each `ChunkStoreInit` field
 * documents which of these backs it.
 */

import { DEFAULT_CHUNK_SIZE as WIRE_DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE as WIRE_MAX_CHUNK_SIZE } from '@weft/protocol'

const KiB = 1024
const MiB = 1024 * KiB

/**
 * The largest chunk a store accepts (8 MiB): the protocol's limit, so a chunk
 * any peer may send fits. The default chunk size is 4 MiB; the cap leaves
 * room for bigger policy chunk sizes while bounding the disk one put claims.
 */
export const MAX_CHUNK_SIZE: number = WIRE_MAX_CHUNK_SIZE

/** The chunk size writers use unless a bucket policy says otherwise (4 MiB). */
export const DEFAULT_CHUNK_SIZE: number = WIRE_DEFAULT_CHUNK_SIZE

/** Free disk space the store never writes into (filesystem, logs, level). */
export const DEFAULT_RESERVE_BYTES = 64 * MiB

/**
 * `usage().full` is true when fewer bytes than this can still be accepted: a
 * node that cannot take one default-size chunk should not be chosen for writes.
 */
export const DEFAULT_FULL_BELOW_BYTES = DEFAULT_CHUNK_SIZE

/**
 * Granularity of the per-block CRC32 kept in the index, which lets a range
 * read verify what it serves without hashing the whole chunk. Small enough
 * that a 4 KiB sample read costs at most two blocks of extra I/O.
 */
export const CHECK_BLOCK_SIZE = 64 * KiB

/**
 * Bytes per disk read when streaming a chunk out; a multiple of
 * CHECK_BLOCK_SIZE. Bounds the memory of a read regardless of chunk size.
 */
export const READ_BLOCK_SIZE = 256 * KiB

/** How stale the cached `statfs` sample may be before a put refreshes it. */
export const STATFS_MAX_AGE_MS = 1000
