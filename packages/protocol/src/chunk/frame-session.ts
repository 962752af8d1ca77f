import { FrameDecoder, encodeFrameHead } from './frame.js'
import { WeftError } from '../errors.js'
import { SessionClosedError, InactivityTimeoutError } from './errors.js'
import type { ByteDuplex } from './duplex.js'
import type { Frame, FrameType } from './frame.js'
import type { Logger } from '@libp2p/interface'

const EMPTY = new Uint8Array(0)

/**
 * Payloads up to this size are copied behind their header so a frame is one
 * transport write; of a larger one, this much minus the header rides with
 * the header (one full TLS record) and the rest is written as it is. Never
 * the whole payload behind the header: a transport that joins buffers (TLS
 * does, for a writev) would copy all of it.
 */
const COALESCE_BELOW = 16 * 1024

export interface FrameSessionInit {
  inactivityTimeout: number
  log: Logger
}

/**
 * The transport half shared by client and server sessions: one reader that
 * decodes frames and hands them on (awaiting the handler, which is where
 * backpressure comes from), one serialized writer (frames never interleave
 * mid-frame), and a watchdog that resets a transport whose peer stopped
 * mid-frame or stopped reading.
 */
export abstract class FrameSession {
  protected readonly duplex: ByteDuplex
  protected readonly log: Logger
  protected readonly inactivityTimeout: number
  protected readonly decoder = new FrameDecoder()
  protected error?: Error
  private writeChain: Promise<void> = Promise.resolve()
  private writeStartedAt?: number
  private blocked?: { since: number, onStuck: (err: InactivityTimeoutError) => void }
  private readingSince?: number
  private partialTime = 0
  private readonly watchdog: ReturnType<typeof setInterval>
  private ended = false
  private readonly endedPromise: Promise<void>
  private resolveEnded!: () => void

  constructor (duplex: ByteDuplex, init: FrameSessionInit) {
    this.duplex = duplex
    this.log = init.log
    this.inactivityTimeout = init.inactivityTimeout
    this.endedPromise = new Promise(resolve => { this.resolveEnded = resolve })
    const period = Math.max(25, Math.min(1000, Math.floor(this.inactivityTimeout / 4)))
    this.watchdog = setInterval(() => { this.check() }, period)
    this.watchdog.unref?.()
  }

  /** Whether the session can still carry frames. */
  get isOpen (): boolean {
    return this.error == null && !this.ended
  }

  /** Settles when the session is over (never rejects). */
  get closed (): Promise<void> {
    return this.endedPromise
  }

  /**
   * Queue one frame. Resolves when the transport has accepted it; rejects
   * when the session is (or becomes) broken.
   */
  async sendFrame (type: FrameType, flags: number, requestId: number, meta: Uint8Array = EMPTY, payload: Uint8Array = EMPTY): Promise<void> {
    const head = encodeFrameHead(type, flags, requestId, meta, payload.byteLength)
    const write = this.writeChain.then(async () => {
      if (this.error != null) {
        throw this.error
      }
      this.writeStartedAt = Date.now()
      try {
        await this.writeFrame(head, payload)
      } catch (err) {
        // a transport failure breaks the whole session; callers see one typed error
        const wrapped = asSessionError(err)
        this.abort(wrapped)
        throw wrapped
      } finally {
        this.writeStartedAt = undefined
      }
    })
    this.writeChain = write.catch(() => {})
    return write
  }

  private async writeFrame (head: Uint8Array, payload: Uint8Array): Promise<void> {
    if (payload.byteLength === 0) {
      await this.duplex.write(head)
    } else if (head.byteLength + payload.byteLength <= COALESCE_BELOW) {
      const buf = new Uint8Array(head.byteLength + payload.byteLength)
      buf.set(head, 0)
      buf.set(payload, head.byteLength)
      await this.duplex.write(buf)
    } else {
      const lead = Math.max(0, COALESCE_BELOW - head.byteLength)
      const buf = new Uint8Array(head.byteLength + lead)
      buf.set(head, 0)
      buf.set(payload.subarray(0, lead), head.byteLength)
      await this.duplex.write(buf)
      await this.duplex.write(payload.subarray(lead))
    }
  }

  /** Tear the session down: reset the transport and fail everything pending. */
  abort (err: Error): void {
    if (this.error != null) {
      return
    }
    this.error = err
    this.log('session aborted - %e', err)
    try {
      this.duplex.abort(err)
    } catch {
      // the transport is gone already; nothing more to tear down
    }
    this.onAbort(err)
    this.finish()
  }

  /** Handle one decoded frame; awaiting it pauses reading (backpressure). */
  protected abstract onFrame (frame: Frame): Promise<void> | void

  /** Fail whatever is pending with `err`. */
  protected abstract onAbort (err: Error): void

  /** Periodic checks of the subclass (request inactivity, idleness). */
  protected abstract onWatchdog (now: number): void

  /**
   * Read and dispatch frames until the peer half-closes (resolves) or the
   * transport or a frame is bad (rejects; the caller decides how to end).
   */
  protected async readFrames (): Promise<void> {
    const it = this.duplex.source[Symbol.asyncIterator]()
    for (;;) {
      this.readingSince = Date.now()
      let result: IteratorResult<Uint8Array>
      try {
        result = await it.next()
      } finally {
        if (this.partialBytes > 0 && this.readingSince != null) {
          this.partialTime += Date.now() - this.readingSince
        }
        this.readingSince = undefined
      }
      this.throwIfBroken()
      if (result.done === true) {
        if (this.partialBytes > 0) {
          throw new SessionClosedError('stream ended inside a frame')
        }
        return
      }
      const frames = this.decoder.push(result.value)
      if (frames.length > 0 || this.partialBytes === 0) {
        this.partialTime = 0
      }
      for (const frame of frames) {
        await this.onFrame(frame)
        this.throwIfBroken()
      }
    }
  }

  /** Bytes of an incomplete frame, in the decoder or still in the transport. */
  protected get partialBytes (): number {
    return this.decoder.bufferedBytes + (this.duplex.bufferedBytes ?? 0)
  }

  private throwIfBroken (): void {
    const err = this.error
    if (err != null) {
      throw err
    }
  }

  /** The reader is blocked handing a frame on (a consumer is slow), not waiting on the peer. */
  protected get isBackpressured (): boolean {
    return this.blocked != null
  }

  /**
   * Wait for a body's consumer to catch up before reading on. A consumer
   * that makes no room for `inactivityTimeout` is given up on (`onStuck`
   * must fail or discard its queue, which releases the wait), so one stalled
   * reader blocks the other requests of this transport for a bounded time.
   */
  protected async awaitConsumer (wait: Promise<void> | undefined, onStuck: (err: InactivityTimeoutError) => void): Promise<void> {
    if (wait == null) {
      return
    }
    this.blocked = { since: Date.now(), onStuck }
    try {
      await wait
    } finally {
      this.blocked = undefined
    }
  }

  /** Mark the session over without an error (after a graceful close). */
  protected finish (): void {
    if (this.ended) {
      return
    }
    this.ended = true
    clearInterval(this.watchdog)
    this.resolveEnded()
  }

  private check (): void {
    if (!this.isOpen) {
      return
    }
    const now = Date.now()
    const partial = this.partialBytes > 0
      ? this.partialTime + (this.readingSince != null ? now - this.readingSince : 0)
      : 0
    if (partial > this.inactivityTimeout) {
      this.abort(new InactivityTimeoutError(`peer sent part of a frame and nothing more for ${this.inactivityTimeout} ms`))
      return
    }
    if (this.writeStartedAt != null && now - this.writeStartedAt > this.inactivityTimeout) {
      this.abort(new InactivityTimeoutError(`peer has not read for ${this.inactivityTimeout} ms`))
      return
    }
    if (this.blocked != null && now - this.blocked.since > this.inactivityTimeout) {
      const { onStuck } = this.blocked
      this.blocked = undefined
      onStuck(new InactivityTimeoutError(`body reader made no progress for ${this.inactivityTimeout} ms`))
    }
    this.onWatchdog(now)
  }
}

/** Transport errors (resets, closed connections) become SessionClosedError; typed errors pass. */
export function asSessionError (err: unknown): WeftError {
  if (err instanceof WeftError) {
    return err
  }
  const message = err instanceof Error ? err.message : String(err)
  return new SessionClosedError(`stream failed: ${message}`, undefined, { cause: err })
}
