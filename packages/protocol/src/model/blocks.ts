/**
 * Verifiable range reads inside a chunk. A chunk's id hashes the whole chunk,
 * so a reader that wants 100 KiB of a 4 MiB chunk could only check it by
 * fetching all 4 MiB. Instead the manifest keeps the SHA-256 of every
 * `blockSize` block of each chunk (16 x 32 B = 512 B per 4 MiB chunk at the
 * default 256 KiB blocks, 0.012 % of the data); a range read fetches the
 * range widened to block boundaries, checks each block, and slices.
 *
 * A chunk of a single block stores no block hashes: its one block hash is the
 * chunk's own digest, and reading any range of it means fetching it whole.
 */
import { BLOCK_HASH_BYTES, DEFAULT_BLOCK_SIZE } from './constants.js'
import { chunkCidSync, equalBytes, sha256Bytes } from './cid.js'
import { HashMismatchError, InvalidRangeError } from './errors.js'
import type { CID } from 'multiformats/cid'

/** One chunk of an object, as a manifest lists it. */
export interface ChunkEntry {
  /** the chunk's id (CIDv1 raw sha2-256) */
  readonly cid: CID
  /** bytes in the chunk (> 0) */
  readonly size: number
  /**
   * SHA-256 of each `blockSize` block of the chunk (the last one may be
   * short), concatenated; empty when the chunk is a single block
   */
  readonly blockHashes: Uint8Array
}

/** Blocks in a chunk of `size` bytes. */
export function blockCount (size: number, blockSize: number): number {
  return Math.ceil(size / blockSize)
}

/** Bytes of block hashes a chunk entry of `size` bytes carries. */
export function blockHashesLength (size: number, blockSize: number): number {
  const n = blockCount(size, blockSize)
  return n > 1 ? n * BLOCK_HASH_BYTES : 0
}

/** The concatenated block hashes of `chunk` (empty for a single-block chunk). */
export function hashBlocks (chunk: Uint8Array, blockSize: number): Uint8Array {
  const n = blockCount(chunk.length, blockSize)
  if (n <= 1) return new Uint8Array(0)
  const out = new Uint8Array(n * BLOCK_HASH_BYTES)
  for (let i = 0; i < n; i++) {
    out.set(sha256Bytes(chunk.subarray(i * blockSize, (i + 1) * blockSize)), i * BLOCK_HASH_BYTES)
  }
  return out
}

/** The manifest entry of `chunk`: its id, size and block hashes. */
export function chunkEntry (chunk: Uint8Array, blockSize: number = DEFAULT_BLOCK_SIZE): ChunkEntry {
  return { cid: chunkCidSync(chunk), size: chunk.length, blockHashes: hashBlocks(chunk, blockSize) }
}

/** The expected hash of block `index` of `entry`. */
export function blockHash (entry: ChunkEntry, index: number): Uint8Array {
  if (entry.blockHashes.length === 0) {
    if (index !== 0) throw new RangeError(`single-block chunk has no block ${index}`)
    return entry.cid.multihash.digest
  }
  const at = index * BLOCK_HASH_BYTES
  if (!Number.isInteger(index) || index < 0 || at >= entry.blockHashes.length) throw new RangeError(`no block ${index}`)
  return entry.blockHashes.subarray(at, at + BLOCK_HASH_BYTES)
}

/** What to fetch from a chunk to serve bytes [start, end) of it verifiably. */
export interface BlockReadPlan {
  /** first byte to fetch from the chunk (a block boundary) */
  readonly fetchStart: number
  /** end of the fetch, exclusive (a block boundary or the chunk's end) */
  readonly fetchEnd: number
  /** index of the first fetched block */
  readonly firstBlock: number
  readonly blockSize: number
  /** expected SHA-256 of each fetched block, in order */
  readonly hashes: readonly Uint8Array[]
  /** the asked-for bytes within the fetched bytes: [sliceStart, sliceEnd) */
  readonly sliceStart: number
  readonly sliceEnd: number
}

/**
 * Plans a verified read of bytes [start, end) of a chunk: the range widened
 * to block boundaries and the hashes to check the fetched blocks against.
 * Throws `InvalidRangeError` unless 0 <= start < end <= entry.size.
 */
export function planBlockRead (entry: ChunkEntry, blockSize: number, start: number, end: number): BlockReadPlan {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start || end > entry.size) {
    throw new InvalidRangeError(`range [${start}, ${end}) is not a non-empty range within a chunk of ${entry.size} bytes`)
  }
  if (entry.blockHashes.length === 0) {
    return { fetchStart: 0, fetchEnd: entry.size, firstBlock: 0, blockSize: entry.size, hashes: [entry.cid.multihash.digest], sliceStart: start, sliceEnd: end }
  }
  const firstBlock = Math.floor(start / blockSize)
  const lastBlock = Math.floor((end - 1) / blockSize)
  const hashes: Uint8Array[] = []
  for (let i = firstBlock; i <= lastBlock; i++) hashes.push(blockHash(entry, i))
  const fetchStart = firstBlock * blockSize
  return {
    fetchStart,
    fetchEnd: Math.min((lastBlock + 1) * blockSize, entry.size),
    firstBlock,
    blockSize,
    hashes,
    sliceStart: start - fetchStart,
    sliceEnd: end - fetchStart
  }
}

/** Throws `HashMismatchError` unless SHA-256(`bytes`) equals `expectedHash`. */
export function verifyBlock (bytes: Uint8Array, expectedHash: Uint8Array): void {
  if (!equalBytes(sha256Bytes(bytes), expectedHash)) {
    throw new HashMismatchError('block does not match its hash')
  }
}

/**
 * Checks every block of `fetched` (the bytes [fetchStart, fetchEnd) of the
 * chunk) against the plan and returns the asked-for slice (a view, not a
 * copy). Throws `HashMismatchError` on a short read or any bad block.
 */
export function verifyBlockRead (plan: BlockReadPlan, fetched: Uint8Array): Uint8Array {
  const expected = plan.fetchEnd - plan.fetchStart
  if (fetched.length !== expected) {
    throw new HashMismatchError(`expected ${expected} bytes of blocks, got ${fetched.length}`)
  }
  plan.hashes.forEach((hash, i) => {
    try {
      verifyBlock(fetched.subarray(i * plan.blockSize, (i + 1) * plan.blockSize), hash)
    } catch (err) {
      if (err instanceof HashMismatchError) throw new HashMismatchError(`block ${plan.firstBlock + i} does not match its hash`)
      throw err
    }
  })
  return fetched.subarray(plan.sliceStart, plan.sliceEnd)
}
