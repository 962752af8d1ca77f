import { FRAME_HEADER_LENGTH, MAX_FRAME_PAYLOAD } from './constants.js'

/**
 * Gives the buffer for one incoming frame of request `requestId`, of
 * exactly `length` bytes; undefined lets the transport allocate it.
 */
export type FrameAllocator = (requestId: number, length: number) => Uint8Array | undefined

/** A full data frame (header, a little meta, 256 KiB of payload) fits one pooled buffer. */
export const POOLED_FRAME_BYTES = FRAME_HEADER_LENGTH + 1024 + MAX_FRAME_PAYLOAD

/** Frames smaller than this get a buffer of their own size: a pooled one would waste most of itself. */
const MIN_POOLED_FRAME = POOLED_FRAME_BYTES / 4

/** Free buffers kept by default (32 MiB, a read-ahead window of 4 MiB chunks); more are left to the garbage collector. */
const DEFAULT_MAX_FREE = 128

/**
 * Frame buffers handed out for the answers of one reader and given back
 * when the reader is done with the bytes in them, so a long read reuses a
 * few MiB instead of touching fresh memory for every frame. On the
 * development machine fresh memory costs more than the TLS decryption of
 * the same bytes (page faults are expensive under its hypervisor; see
 * docs/PERFORMANCE.md).
 *
 * Only buffers this pool made come back to it, each at most once until it
 * is handed out again; a buffer never given back is collected as garbage.
 * Giving a buffer back while anything still reads it would let the next
 * frame overwrite those bytes: only the final reader of the bytes (one
 * that has verified and consumed them) may call `release`.
 */
export class FrameBufferPool {
  private readonly free: ArrayBuffer[] = []
  private readonly made = new WeakSet<ArrayBuffer>()
  private readonly idle = new WeakSet<ArrayBuffer>()
  private readonly maxFree: number
  private allocated = 0
  private reused = 0

  constructor (init: { maxFree?: number } = {}) {
    this.maxFree = init.maxFree ?? DEFAULT_MAX_FREE
  }

  /** Buffers made, and handed out again after a release: how well the pool works. */
  get stats (): { allocated: number, reused: number, free: number } {
    return { allocated: this.allocated, reused: this.reused, free: this.free.length }
  }

  /** A buffer of `length` bytes for a frame, or undefined when it is not worth pooling. */
  take (length: number): Uint8Array | undefined {
    if (length < MIN_POOLED_FRAME || length > POOLED_FRAME_BYTES) return undefined
    let buffer = this.free.pop()
    if (buffer === undefined) {
      buffer = new ArrayBuffer(POOLED_FRAME_BYTES)
      this.made.add(buffer)
      this.allocated++
    } else {
      this.idle.delete(buffer)
      this.reused++
    }
    return Buffer.from(buffer, 0, length)
  }

  /** Give back the frame buffer that `bytes` is a view of; other views are ignored. */
  release (bytes: Uint8Array): void {
    const buffer = bytes.buffer
    if (!(buffer instanceof ArrayBuffer) || !this.made.has(buffer) || this.idle.has(buffer)) return
    if (this.free.length >= this.maxFree) return
    this.idle.add(buffer)
    this.free.push(buffer)
  }
}
