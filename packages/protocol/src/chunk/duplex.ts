import type { AbortOptions } from '@libp2p/interface'

/**
 * What a chunk session needs from its transport: a byte stream in each
 * direction with backpressure. A libp2p stream (see `streamToDuplex`) and,
 * later, a TLS socket both fit.
 */
export interface ByteDuplex {
  /** Bytes from the peer. The session stops pulling when it is full, which must pause the transport. */
  source: AsyncIterable<Uint8Array>
  /** Resolves when the transport has accepted `bytes` (awaits drain when its buffer is full). */
  write(bytes: Uint8Array, options?: AbortOptions): Promise<void>
  /** Half-close: no more writes; what was written is still delivered. */
  close(options?: AbortOptions): Promise<void>
  /** Tear the transport down now (a reset), discarding anything unsent or unread. */
  abort(err: Error): void
}
