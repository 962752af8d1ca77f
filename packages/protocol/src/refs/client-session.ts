/**
 * The client side of one ref stream: numbered requests in flight at once,
 * each answered by id. A request that gets no answer in `requestTimeout`
 * fails with ERR_TIMEOUT (its late answer is dropped); a broken stream fails
 * every request in flight with ERR_SESSION_CLOSED.
 */
import { CancelledError, InactivityTimeoutError, ProtocolError, SessionClosedError } from '../chunk/errors.js'
import {
  DEFAULT_REF_INACTIVITY_TIMEOUT, DEFAULT_REF_REQUEST_TIMEOUT, MAX_REF_REQUEST_ID, MAX_REF_RESPONSE_BYTES,
  REF_SESSION_REQUEST_ID
} from './constants.js'
import { refErrorFromWire } from './errors.js'
import { RefFrameType } from './frame.js'
import { decodeRefErrorAnswer } from './messages.js'
import { RefSession } from './session.js'
import type { ByteDuplex } from '../chunk/duplex.js'
import type { RefFrame } from './frame.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** The answer type each request type expects. */
const ANSWER: Partial<Record<RefFrameType, RefFrameType>> = {
  [RefFrameType.PUT]: RefFrameType.PUT_OK,
  [RefFrameType.GET]: RefFrameType.GET_OK,
  [RefFrameType.LIST]: RefFrameType.LIST_OK,
  [RefFrameType.PARTITION]: RefFrameType.LIST_OK,
  [RefFrameType.REFERENCED]: RefFrameType.REFERENCED_OK
}

interface Pending {
  expect: RefFrameType
  resolve: (body: Uint8Array) => void
  reject: (err: Error) => void
}

export interface RefClientSessionInit {
  log: Logger
  /**
   * @default DEFAULT_REF_REQUEST_TIMEOUT
   */
  requestTimeout?: number
  /**
   * @default DEFAULT_REF_INACTIVITY_TIMEOUT
   */
  inactivityTimeout?: number
}

export class RefClientSession extends RefSession {
  private readonly pending = new Map<number, Pending>()
  private readonly requestTimeout: number
  private nextId = 1
  private closing = false

  constructor (duplex: ByteDuplex, init: RefClientSessionInit) {
    super(duplex, { maxFrameBytes: MAX_REF_RESPONSE_BYTES, inactivityTimeout: init.inactivityTimeout ?? DEFAULT_REF_INACTIVITY_TIMEOUT, log: init.log })
    this.requestTimeout = init.requestTimeout ?? DEFAULT_REF_REQUEST_TIMEOUT
    this.run()
  }

  get inFlight (): number {
    return this.pending.size
  }

  override get isOpen (): boolean {
    return super.isOpen && !this.closing
  }

  /**
   * Sends one request and resolves with its answer's body; an ERROR answer
   * rejects with its typed error. `timeout` (ms) replaces the session's
   * request timeout for this one request.
   */
  async request (type: RefFrameType, body: Uint8Array, options: AbortOptions & { timeout?: number } = {}): Promise<Uint8Array> {
    options.signal?.throwIfAborted()
    if (!this.isOpen) throw this.error ?? new SessionClosedError('ref session is closed')
    const expect = ANSWER[type]
    if (expect === undefined) throw new TypeError(`0x${type.toString(16)} is not a request type`)
    const timeout = options.timeout ?? this.requestTimeout
    const id = this.allocateId()
    let timer: ReturnType<typeof setTimeout> | undefined
    let onAbort: (() => void) | undefined
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { expect, resolve, reject })
      timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new InactivityTimeoutError(`no answer to ref request within ${timeout} ms`))
      }, timeout)
      onAbort = () => {
        this.pending.delete(id)
        const reason: unknown = options.signal?.reason
        reject(reason instanceof Error ? reason : new CancelledError('request cancelled'))
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
    })
    // a send failure ends the session, which rejects `answer` too: only one of them is reported
    answer.catch(() => {})
    try {
      await this.send(type, id, body)
      return await answer
    } finally {
      clearTimeout(timer)
      if (onAbort != null) options.signal?.removeEventListener('abort', onAbort)
      this.pending.delete(id)
    }
  }

  private allocateId (): number {
    for (;;) {
      const id = this.nextId
      this.nextId = id >= MAX_REF_REQUEST_ID ? 1 : id + 1
      if (!this.pending.has(id)) return id
    }
  }

  protected async onFrame (frame: RefFrame): Promise<void> {
    if (frame.requestId === REF_SESSION_REQUEST_ID) {
      const err = frame.type === RefFrameType.ERROR ? this.errorOf(frame.body) : new ProtocolError('answer with request id 0')
      this.abort(err)
      return
    }
    const p = this.pending.get(frame.requestId)
    // a late answer to a request that timed out or was cancelled
    if (p == null) return
    this.pending.delete(frame.requestId)
    if (frame.type === RefFrameType.ERROR) {
      p.reject(this.errorOf(frame.body))
    } else if (frame.type !== p.expect) {
      const err = new ProtocolError(`expected answer type 0x${p.expect.toString(16)}, got 0x${frame.type.toString(16)}`)
      p.reject(err)
      this.abort(err)
    } else {
      p.resolve(frame.body)
    }
  }

  private errorOf (body: Uint8Array): Error {
    try {
      const { code, message } = decodeRefErrorAnswer(body)
      return refErrorFromWire(code, message)
    } catch (err) {
      return err as Error
    }
  }

  protected async onSourceEnd (): Promise<void> {
    this.finish()
  }

  protected async onSessionError (err: Error): Promise<void> {
    this.abort(err)
  }

  protected override onFinish (): void {
    const err = this.error ?? new SessionClosedError('ref session ended')
    const failure = err instanceof SessionClosedError || err instanceof InactivityTimeoutError || err instanceof ProtocolError
      ? err
      : new SessionClosedError(`ref session failed: ${err.message}`, undefined, { cause: err })
    for (const p of this.pending.values()) p.reject(failure)
    this.pending.clear()
  }

  /** Takes no new requests; half-closes once the ones in flight are answered, and resets after a grace period. */
  close (): void {
    if (this.closing) return
    this.closing = true
    const grace = setTimeout(() => { this.abort(new SessionClosedError('ref session closed')) }, Math.min(5000, this.requestTimeout))
    grace.unref?.()
    void this.closed.then(() => { clearTimeout(grace) })
    const waitIdle = async (): Promise<void> => {
      while (this.pending.size > 0 && this.error == null) await new Promise(resolve => setTimeout(resolve, 10))
      await this.closeWrite()
    }
    waitIdle().catch(() => {})
  }
}
