import type { FrameAllocator } from './frame-pool.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * What a chunk session needs from its transport: a byte stream in each
 * direction with backpressure. A libp2p stream (see `streamToDuplex`) and,
 * later, a TLS socket both fit.
 */
export interface ByteDuplex {
  /** Bytes from the peer. The session stops pulling when it is full, which must pause the transport. */
  source: AsyncIterable<Uint8Array>
  /**
   * Bytes of an incomplete frame the transport holds before `source` yields
   * them (one that cuts its reads at frame boundaries), so the session's
   * watchdog sees a peer that stopped mid-frame. Absent means none.
   */
  readonly bufferedBytes?: number
  /** Resolves when the transport has accepted `bytes` (awaits drain when its buffer is full). */
  write(bytes: Uint8Array, options?: AbortOptions): Promise<void>
  /** Half-close: no more writes; what was written is still delivered. */
  close(options?: AbortOptions): Promise<void>
  /** Tear the transport down now (a reset), discarding anything unsent or unread. */
  abort(err: Error): void
  /**
   * Where the buffers of whole incoming frames come from, for a transport
   * that cuts its reads into frames (the bulk channel); others have no such
   * buffers and leave this out.
   */
  useFrameAllocator?(allocate: FrameAllocator): void
}
