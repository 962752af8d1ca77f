import { createHash, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs/promises'
import { BlockChecksummer, blockCrc, decodeCrcs } from './checksums.js'
import { READ_BLOCK_SIZE } from './constants.js'
import { ChunkCorruptError } from './errors.js'
import type { ChunkEntry } from './chunk-index.js'
import type { ChunkId } from './cid.js'

/**
 * Streaming reads of one chunk file. Memory is bounded by READ_BLOCK_SIZE
 * whatever the chunk size, and every yielded byte has been checked against
 * the CRC32 the store computed for its 64 KiB block when the chunk was
 * written (the bytes then hashed to the chunk id): a block that fails is
 * never yielded. Corruption surfaces as ChunkCorruptError; the caller
 * quarantines. Reads check CRCs rather than re-hash with sha2-256 because
 * the reader hashes anyway (a client checks every chunk against its id, a
 * replica every chunk it is sent) and CRC32 costs a third of the CPU here
 * (docs/PERFORMANCE.md); both catch the bit rot a node must not serve.
 * Scrub re-hashes with sha2-256.
 */

/**
 * The whole chunk from `fh` (closed when done), each block checked before
 * it is yielded. The last read asks for one byte more than the index says
 * the chunk has: a longer file shows without an fstat.
 */
export async function * readFull (fh: fs.FileHandle, id: ChunkId, entry: ChunkEntry, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    const { size } = entry
    const crcs = crcTable(id, entry)
    if (size === 0) {
      await checkEnd(fh, id, 0)
      return
    }
    const span = spanOf(entry.blockSize)
    let pos = 0
    while (pos < size) {
      signal?.throwIfAborted()
      const n = Math.min(span, size - pos)
      const last = pos + n === size
      const buf = Buffer.allocUnsafe(last ? n + 1 : n)
      const got = await readUpTo(fh, buf, pos, n)
      if (got < n) throw new ChunkCorruptError(id.cid.toString(), 'file shorter than its index entry')
      if (got > n) throw new ChunkCorruptError(id.cid.toString(), `file is longer than the ${size} bytes the index says`)
      const piece = last ? buf.subarray(0, n) : buf
      checkBlocks(id, piece, pos, entry.blockSize, crcs)
      pos += n
      yield piece
    }
  } finally {
    await fh.close()
  }
}

/**
 * `length` bytes from `offset` of the chunk open in `fh` (closed when done). Reads whole check blocks around the range
 * (at most one extra block at each end) and verifies each block's CRC32
 * before yielding any byte of it.
 */
export async function * readRange (fh: fs.FileHandle, id: ChunkId, entry: ChunkEntry, offset: number, length: number, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    const bs = entry.blockSize
    const crcs = crcTable(id, entry)
    const end = offset + length
    let pos = Math.floor(offset / bs) * bs
    const alignedEnd = Math.min(entry.size, Math.ceil(end / bs) * bs)
    const span = spanOf(bs)
    await checkFileSize(fh, id, entry.size)
    while (pos < alignedEnd) {
      signal?.throwIfAborted()
      const buf = Buffer.allocUnsafe(Math.min(span, alignedEnd - pos))
      await readExactly(fh, buf, pos, id)
      checkBlocks(id, buf, pos, bs, crcs)
      const from = Math.max(offset, pos) - pos
      const to = Math.min(end, pos + buf.byteLength) - pos
      pos += buf.byteLength
      yield buf.subarray(from, to)
    }
  } finally {
    await fh.close()
  }
}

export interface FileCheck {
  size: number
  crcs: number[]
  /** why the file does not hold the chunk; undefined when it does */
  corrupt?: string
}

/**
 * Re-hash a chunk file from disk (scrub, recovery of an unindexed file),
 * computing the CRC table on the way.
 */
export async function checkFile (path: string, id: ChunkId, blockSize: number, signal?: AbortSignal): Promise<FileCheck> {
  const fh = await fs.open(path, 'r')
  try {
    const { size } = await fh.stat()
    const hash = createHash('sha256')
    const sums = new BlockChecksummer(blockSize)
    const buf = Buffer.allocUnsafe(Math.min(READ_BLOCK_SIZE, Math.max(size, 1)))
    let pos = 0
    while (pos < size) {
      signal?.throwIfAborted()
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.byteLength, size - pos), pos)
      if (bytesRead === 0) {
        return { size, crcs: [], corrupt: 'file shrank while reading' }
      }
      const piece = buf.subarray(0, bytesRead)
      hash.update(piece)
      sums.update(piece)
      pos += bytesRead
    }
    if (!timingSafeEqual(hash.digest(), id.digest)) {
      return { size, crcs: [], corrupt: 'sha2-256 mismatch' }
    }
    return { size, crcs: sums.digest() }
  } finally {
    await fh.close()
  }
}

/** The entry's CRC table, one per block of the chunk. */
function crcTable (id: ChunkId, entry: ChunkEntry): number[] {
  const crcs = decodeCrcs(entry.crc)
  if (crcs.length !== Math.ceil(entry.size / entry.blockSize)) {
    throw new ChunkCorruptError(id.cid.toString(), 'checksum table does not match the chunk size')
  }
  return crcs
}

/** Bytes per read: READ_BLOCK_SIZE, in whole check blocks. */
function spanOf (blockSize: number): number {
  return Math.max(blockSize, Math.floor(READ_BLOCK_SIZE / blockSize) * blockSize)
}

/** Check every block of `buf`, which starts at block-aligned `pos` of the chunk. */
function checkBlocks (id: ChunkId, buf: Uint8Array, pos: number, blockSize: number, crcs: readonly number[]): void {
  for (let b = 0; b < buf.byteLength; b += blockSize) {
    const index = (pos + b) / blockSize
    if (blockCrc(buf.subarray(b, b + blockSize)) !== crcs[index]) {
      throw new ChunkCorruptError(id.cid.toString(), `checksum mismatch in block ${index}`)
    }
  }
}

async function checkFileSize (fh: fs.FileHandle, id: ChunkId, size: number): Promise<void> {
  const st = await fh.stat()
  if (st.size !== size) {
    throw new ChunkCorruptError(id.cid.toString(), `file is ${st.size} bytes, the index says ${size}`)
  }
}

/**
 * Reads at `position` until `buf` is full or the file ends; returns the
 * bytes read. A read that returns fewer bytes than asked for once `need`
 * are in is taken as the end of the file (pread on a regular file is only
 * short there), so reading one spare byte past the end costs no extra call.
 */
async function readUpTo (fh: fs.FileHandle, buf: Buffer, position: number, need: number): Promise<number> {
  let at = 0
  while (at < buf.byteLength) {
    const want = buf.byteLength - at
    const { bytesRead } = await fh.read(buf, at, want, position + at)
    at += bytesRead
    if (bytesRead === 0 || (at >= need && bytesRead < want)) break
  }
  return at
}

/** the file must end at `size` */
async function checkEnd (fh: fs.FileHandle, id: ChunkId, size: number): Promise<void> {
  const { bytesRead } = await fh.read(Buffer.allocUnsafe(1), 0, 1, size)
  if (bytesRead !== 0) throw new ChunkCorruptError(id.cid.toString(), `file is longer than the ${size} bytes the index says`)
}

async function readExactly (fh: fs.FileHandle, buf: Buffer, position: number, id: ChunkId): Promise<void> {
  let at = 0
  while (at < buf.byteLength) {
    const { bytesRead } = await fh.read(buf, at, buf.byteLength - at, position + at)
    if (bytesRead === 0) {
      throw new ChunkCorruptError(id.cid.toString(), 'file shorter than its index entry')
    }
    at += bytesRead
  }
}
