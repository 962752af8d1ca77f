/**
 * The transport half shared by the ref protocol's client and server
 * sessions: one read loop that decodes frames and hands them on (awaiting
 * the handler, which is where backpressure comes from), one serialized
 * writer, and a watchdog that resets a transport whose peer stalled
 * mid-frame or stopped reading.
 */
import { InactivityTimeoutError, SessionClosedError } from '../chunk/errors.js'
import { WeftError } from '../errors.js'
import { encodeRefFrame, RefFrameDecoder } from './frame.js'
import type { ByteDuplex } from '../chunk/duplex.js'
import type { RefFrame, RefFrameType } from './frame.js'
import type { Logger } from '@libp2p/interface'

export interface RefSessionInit {
  /** largest frame accepted from the peer */
  maxFrameBytes: number
  /** how long (ms) a half-received frame or a blocked write may stall */
  inactivityTimeout: number
  log: Logger
}

export abstract class RefSession {
  protected readonly duplex: ByteDuplex
  protected readonly log: Logger
  protected readonly inactivityTimeout: number
  protected error?: Error
  protected lastActivity = Date.now()
  private readonly decoder: RefFrameDecoder
  private writeChain: Promise<void> = Promise.resolve()
  private writeSince?: number
  private partialSince?: number
  private ended = false
  private readonly watchdog: ReturnType<typeof setInterval>
  private readonly endedPromise: Promise<void>
  private resolveEnded!: () => void

  constructor (duplex: ByteDuplex, init: RefSessionInit) {
    this.duplex = duplex
    this.log = init.log
    this.inactivityTimeout = init.inactivityTimeout
    this.decoder = new RefFrameDecoder(init.maxFrameBytes)
    this.endedPromise = new Promise(resolve => { this.resolveEnded = resolve })
    const period = Math.max(25, Math.min(1000, Math.floor(this.inactivityTimeout / 4)))
    this.watchdog = setInterval(() => { this.check() }, period)
    this.watchdog.unref?.()
  }

  /** Whether the session can still carry requests. */
  get isOpen (): boolean {
    return this.error == null && !this.ended
  }

  /** Settles when the session is over (never rejects). */
  get closed (): Promise<void> {
    return this.endedPromise
  }

  /** Starts the read loop; subclasses call it once their fields are set. */
  protected run (): void {
    this.readLoop().catch(err => { this.abort(asError(err)) })
  }

  private async readLoop (): Promise<void> {
    try {
      for await (const chunk of this.duplex.source) {
        if (this.error != null) return
        this.lastActivity = Date.now()
        this.decoder.push(chunk)
        this.partialSince = this.decoder.partial ? (this.partialSince ?? this.lastActivity) : undefined
        for (const frame of this.decoder.take()) {
          await this.onFrame(frame)
          if (this.error != null) return
        }
      }
    } catch (err) {
      if (this.error == null) await this.onSessionError(asError(err))
      return
    }
    if (this.error == null) await this.onSourceEnd()
  }

  /** One decoded frame; the read loop waits for the returned promise. */
  protected abstract onFrame (frame: RefFrame): Promise<void>

  /** The peer half-closed cleanly. */
  protected abstract onSourceEnd (): Promise<void>

  /** The peer broke the protocol or the transport failed. */
  protected abstract onSessionError (err: Error): Promise<void>

  /** Queues one frame; frames never interleave. Rejects when the session is broken. */
  protected async send (type: RefFrameType, requestId: number, body: Uint8Array): Promise<void> {
    const bytes = encodeRefFrame(type, requestId, body)
    const write = this.writeChain.then(async () => {
      if (this.error != null) throw this.error
      this.writeSince = Date.now()
      try {
        await this.duplex.write(bytes)
        this.lastActivity = Date.now()
      } catch (err) {
        const wrapped = err instanceof WeftError ? err : new SessionClosedError(`write failed: ${asError(err).message}`, undefined, { cause: err })
        this.abort(wrapped)
        throw wrapped
      } finally {
        this.writeSince = undefined
      }
    })
    this.writeChain = write.catch(() => {})
    await write
  }

  /** Waits for queued writes, then half-closes; the session ends when the peer does too. */
  protected async closeWrite (): Promise<void> {
    await this.writeChain
    if (this.error != null) return
    try {
      await this.duplex.close()
    } catch (err) {
      this.abort(asError(err))
    }
  }

  /** Tears the transport down now; idempotent. */
  abort (err: Error): void {
    if (this.error != null) return
    this.error = err
    this.log('session aborted - %e', err)
    try {
      this.duplex.abort(err)
    } catch {
      // already gone
    }
    this.finish()
  }

  /** Marks the session over: the watchdog stops and `closed` settles. */
  protected finish (): void {
    if (this.ended) return
    this.ended = true
    clearInterval(this.watchdog)
    this.onFinish()
    this.resolveEnded()
  }

  /** Hook: the session is over (reject what is pending). */
  protected onFinish (): void {}

  /** Hook: periodic check for idle sessions. */
  protected onIdleCheck (_now: number): void {}

  private check (): void {
    if (this.ended) return
    const now = Date.now()
    if (this.partialSince != null && now - this.partialSince > this.inactivityTimeout) {
      this.abort(new InactivityTimeoutError(`no progress on a frame for ${this.inactivityTimeout} ms`))
      return
    }
    if (this.writeSince != null && now - this.writeSince > this.inactivityTimeout) {
      this.abort(new InactivityTimeoutError(`peer read nothing for ${this.inactivityTimeout} ms`))
      return
    }
    this.onIdleCheck(now)
  }
}

export function asError (err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
