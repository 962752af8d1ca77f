import { createHash, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs/promises'
import { BlockChecksummer, blockCrc, decodeCrcs } from './checksums.js'
import { READ_BLOCK_SIZE } from './constants.js'
import { ChunkCorruptError } from './errors.js'
import type { ChunkEntry } from './chunk-index.js'
import type { ChunkId } from './cid.js'

/**
 * Streaming reads of one chunk file. Memory is bounded by READ_BLOCK_SIZE
 * whatever the chunk size, and every yielded byte has been checked: a full
 * read against the chunk's sha2-256 (the last block is held back until the
 * digest matches), a range read against the per-block CRC32s of the blocks it
 * touches. Corruption surfaces as ChunkCorruptError; the caller quarantines.
 */

/** The whole chunk, verified against its id before the final block is yielded. */
export async function * readFull (path: string, id: ChunkId, size: number, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  const fh = await fs.open(path, 'r')
  try {
    await checkFileSize(fh, id, size)
    const hash = createHash('sha256')
    let pos = 0
    if (size === 0) {
      checkDigest(hash, id)
      return
    }
    while (pos < size) {
      signal?.throwIfAborted()
      const buf = Buffer.allocUnsafe(Math.min(READ_BLOCK_SIZE, size - pos))
      await readExactly(fh, buf, pos, id)
      hash.update(buf)
      pos += buf.byteLength
      if (pos === size) {
        checkDigest(hash, id)
      }
      yield buf
    }
  } finally {
    await fh.close()
  }
}

/**
 * `length` bytes from `offset`. Reads whole check blocks around the range
 * (at most one extra block at each end) and verifies each block's CRC32
 * before yielding any byte of it.
 */
export async function * readRange (path: string, id: ChunkId, entry: ChunkEntry, offset: number, length: number, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  const bs = entry.blockSize
  const crcs = decodeCrcs(entry.crc)
  if (crcs.length !== Math.ceil(entry.size / bs)) {
    throw new ChunkCorruptError(id.cid.toString(), 'checksum table does not match the chunk size')
  }
  const end = offset + length
  let pos = Math.floor(offset / bs) * bs
  const alignedEnd = Math.min(entry.size, Math.ceil(end / bs) * bs)
  const span = Math.max(bs, Math.floor(READ_BLOCK_SIZE / bs) * bs)
  const fh = await fs.open(path, 'r')
  try {
    await checkFileSize(fh, id, entry.size)
    while (pos < alignedEnd) {
      signal?.throwIfAborted()
      const buf = Buffer.allocUnsafe(Math.min(span, alignedEnd - pos))
      await readExactly(fh, buf, pos, id)
      for (let b = 0; b < buf.byteLength; b += bs) {
        const index = (pos + b) / bs
        if (blockCrc(buf.subarray(b, b + bs)) !== crcs[index]) {
          throw new ChunkCorruptError(id.cid.toString(), `checksum mismatch in block ${index}`)
        }
      }
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

async function checkFileSize (fh: fs.FileHandle, id: ChunkId, size: number): Promise<void> {
  const st = await fh.stat()
  if (st.size !== size) {
    throw new ChunkCorruptError(id.cid.toString(), `file is ${st.size} bytes, the index says ${size}`)
  }
}

function checkDigest (hash: ReturnType<typeof createHash>, id: ChunkId): void {
  if (!timingSafeEqual(hash.digest(), id.digest)) {
    throw new ChunkCorruptError(id.cid.toString(), 'sha2-256 mismatch')
  }
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
