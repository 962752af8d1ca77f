import { createHash, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs/promises'
import { abortable } from './abortable.js'
import { BlockChecksummer } from './checksums.js'
import { ChunkTooLargeError, HashMismatchError, SizeMismatchError } from './errors.js'
import type { ChunkId } from './cid.js'

export interface WriteTempInit {
  id: ChunkId
  source: AsyncIterable<Uint8Array> | Uint8Array
  tempPath: string
  maxChunkSize: number
  blockSize: number
  /** when known up front: the exact number of bytes that must arrive */
  expectedSize?: number
  /**
   * called before each piece is written when the size was not declared;
   * throws (StoreFullError) to stop the write as soon as it would not fit
   */
  claim?(bytes: number): void
  signal?: AbortSignal
}

export interface WrittenTemp {
  size: number
  crcs: number[]
}

/**
 * Stream `source` into a new temp file, hashing as bytes arrive, and make it
 * durable (fsync) only if the bytes hash to the chunk id. Any failure removes
 * the temp file, so an error leaves nothing behind.
 */
export async function writeTemp (init: WriteTempInit): Promise<WrittenTemp> {
  const { id, tempPath, maxChunkSize, expectedSize } = init
  const fh = await fs.open(tempPath, 'wx', 0o644)
  let closed = false
  try {
    const hash = createHash('sha256')
    const sums = new BlockChecksummer(init.blockSize)
    let size = 0
    const source = init.source instanceof Uint8Array ? [init.source] : init.source
    for await (const piece of abortable(toAsync(source), init.signal)) {
      if (piece.byteLength === 0) {
        continue
      }
      size += piece.byteLength
      if (size > maxChunkSize) {
        throw new ChunkTooLargeError(size, maxChunkSize)
      }
      if (expectedSize != null && size > expectedSize) {
        throw new SizeMismatchError(id.cid.toString(), expectedSize, size)
      }
      init.claim?.(piece.byteLength)
      hash.update(piece)
      sums.update(piece)
      await writeAll(fh, piece)
    }
    if (expectedSize != null && size !== expectedSize) {
      throw new SizeMismatchError(id.cid.toString(), expectedSize, size)
    }
    if (!timingSafeEqual(hash.digest(), id.digest)) {
      throw new HashMismatchError(id.cid.toString())
    }
    await fh.sync()
    closed = true
    await fh.close()
    return { size, crcs: sums.digest() }
  } catch (err) {
    if (!closed) {
      await fh.close().catch(() => {})
    }
    await fs.rm(tempPath, { force: true })
    throw err
  }
}

async function writeAll (fh: fs.FileHandle, data: Uint8Array): Promise<void> {
  let at = 0
  while (at < data.byteLength) {
    const { bytesWritten } = await fh.write(data, at, data.byteLength - at)
    at += bytesWritten
  }
}

async function * toAsync (source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield * source
}

/**
 * Consume the bytes of a put whose chunk is already stored, without writing
 * or hashing them: the stored copy was verified when it was written. Only
 * the length is checked, and reading stops as soon as it is exceeded.
 */
export async function drain (id: ChunkId, source: AsyncIterable<Uint8Array> | Uint8Array, size: number, signal: AbortSignal): Promise<void> {
  if (source instanceof Uint8Array) {
    return
  }
  let received = 0
  for await (const piece of abortable(source, signal)) {
    received += piece.byteLength
    if (received > size) {
      break
    }
  }
  if (received !== size) {
    throw new SizeMismatchError(id.cid.toString(), size, received)
  }
}
