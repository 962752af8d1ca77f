/**
 * The server side of one ref stream: decodes requests, runs them through a
 * `RefHandler` (at most `maxConcurrentRequests` at once; beyond that the
 * stream is not read, so the peer is slowed, not answered with errors), and
 * answers each with its request id. A malformed request body is answered
 * with a typed ERROR and the session goes on; a malformed frame (oversized,
 * unknown type, garbage) gets a session ERROR (id 0) and a reset.
 */
import { InactivityTimeoutError, ProtocolError, wireCodeOf, wireMessageOf } from '../chunk/errors.js'
import {
  DEFAULT_REF_INACTIVITY_TIMEOUT, DEFAULT_REF_MAX_CONCURRENT_REQUESTS, DEFAULT_REF_SERVER_IDLE_TIMEOUT,
  MAX_REF_REQUEST_BYTES, REF_SESSION_REQUEST_ID
} from './constants.js'
import { isRefRequestType, RefFrameType } from './frame.js'
import { InvalidRefRequestError } from './errors.js'
import {
  decodeRefGetRequest, decodeRefListRequest, decodeRefPartitionRequest, decodeRefReferencedRequest, encodeRefErrorAnswer,
  encodeRefGetAnswer, encodeRefListAnswer, encodeRefPutAnswer, encodeRefReferencedAnswer
} from './messages.js'
import { decodeStoredRecord } from './records.js'
import { RefSession } from './session.js'
import type { ByteDuplex } from '../chunk/duplex.js'
import type { RefFrame } from './frame.js'
import type { RefListAnswer, RefListRequest, RefPartitionRequest, RefPutAnswer, RefReferencedAnswer } from './messages.js'
import type { RecordLocation, StoredRecord } from './records.js'
import type { Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface RefRequestContext {
  /** the remote peer id, when the transport knows it */
  readonly peer?: string
  /** aborted when the session ends */
  readonly signal: AbortSignal
}

/** What a ref replica does; the node implements it over its ref store. */
export interface RefHandler {
  /** Stores `record` unless a newer (or the same) version is held. `bytes` is its validated encoding. */
  put(record: StoredRecord, bytes: Uint8Array, ctx: RefRequestContext): Promise<RefPutAnswer>
  /** The held record's bytes, or undefined. */
  get(location: RecordLocation, ctx: RefRequestContext): Promise<Uint8Array | undefined>
  /** Records of a bucket in key order, tombstones included. */
  list(request: RefListRequest, ctx: RefRequestContext): Promise<RefListAnswer>
  /** Records of a partition (for repair); may refuse non-members with ERR_NOT_MEMBER. */
  partition(request: RefPartitionRequest, ctx: RefRequestContext): Promise<RefListAnswer>
  /**
   * Which of `cids` (at most MAX_REFERENCED_BATCH, already checked) a live
   * ref held here reaches, for garbage collection; may refuse non-members
   * with ERR_NOT_MEMBER. Without it REFERENCED is answered with
   * ERR_INVALID_REF_REQUEST.
   */
  referenced?(cids: CID[], ctx: RefRequestContext): Promise<RefReferencedAnswer>
}

/** how long a session error may take to reach the peer before the reset */
const SESSION_ERROR_FLUSH_MS = 1000

export interface RefServerSessionInit {
  handler: RefHandler
  log: Logger
  peer?: string
  /**
   * @default DEFAULT_REF_MAX_CONCURRENT_REQUESTS
   */
  maxConcurrentRequests?: number
  /**
   * @default DEFAULT_REF_INACTIVITY_TIMEOUT
   */
  inactivityTimeout?: number
  /**
   * @default DEFAULT_REF_SERVER_IDLE_TIMEOUT
   */
  idleTimeout?: number
}

export class RefServerSession extends RefSession {
  private readonly handler: RefHandler
  private readonly peer?: string
  private readonly maxConcurrent: number
  private readonly idleTimeout: number
  private readonly controller = new AbortController()
  private inFlight = 0
  private failing = false
  private slotWaiter?: () => void
  private drainWaiter?: () => void

  constructor (duplex: ByteDuplex, init: RefServerSessionInit) {
    super(duplex, { maxFrameBytes: MAX_REF_REQUEST_BYTES, inactivityTimeout: init.inactivityTimeout ?? DEFAULT_REF_INACTIVITY_TIMEOUT, log: init.log })
    this.handler = init.handler
    this.peer = init.peer
    this.maxConcurrent = init.maxConcurrentRequests ?? DEFAULT_REF_MAX_CONCURRENT_REQUESTS
    this.idleTimeout = init.idleTimeout ?? DEFAULT_REF_SERVER_IDLE_TIMEOUT
    this.run()
  }

  /** Requests running now. */
  get activeRequests (): number {
    return this.inFlight
  }

  protected async onFrame (frame: RefFrame): Promise<void> {
    if (!isRefRequestType(frame.type) || frame.requestId === REF_SESSION_REQUEST_ID) {
      await this.onSessionError(new ProtocolError(`unexpected frame type 0x${frame.type.toString(16)} with id ${frame.requestId} from a client`))
      return
    }
    while (this.inFlight >= this.maxConcurrent && this.error == null) {
      await new Promise<void>(resolve => { this.slotWaiter = resolve })
    }
    if (this.error != null) return
    this.inFlight++
    this.serve(frame)
      .catch(err => { this.log('answering request %d failed - %e', frame.requestId, err) })
      .finally(() => {
        this.inFlight--
        this.lastActivity = Date.now()
        const wake = this.slotWaiter
        this.slotWaiter = undefined
        wake?.()
        if (this.inFlight === 0) {
          const drained = this.drainWaiter
          this.drainWaiter = undefined
          drained?.()
        }
      })
  }

  private async serve (frame: RefFrame): Promise<void> {
    const ctx: RefRequestContext = { peer: this.peer, signal: this.controller.signal }
    let type: RefFrameType
    let body: Uint8Array
    try {
      switch (frame.type) {
        case RefFrameType.PUT: {
          const record = decodeStoredRecord(frame.body)
          body = encodeRefPutAnswer(await this.handler.put(record, frame.body, ctx))
          type = RefFrameType.PUT_OK
          break
        }
        case RefFrameType.GET:
          body = encodeRefGetAnswer(await this.handler.get(decodeRefGetRequest(frame.body), ctx))
          type = RefFrameType.GET_OK
          break
        case RefFrameType.LIST:
          body = encodeRefListAnswer(await this.handler.list(decodeRefListRequest(frame.body), ctx))
          type = RefFrameType.LIST_OK
          break
        case RefFrameType.REFERENCED: {
          const cids = decodeRefReferencedRequest(frame.body)
          if (this.handler.referenced == null) throw new InvalidRefRequestError('this peer does not answer REFERENCED')
          const answer = await this.handler.referenced(cids, ctx)
          if (answer.referenced.length !== cids.length) throw new RangeError(`answered ${answer.referenced.length} of ${cids.length} ids`)
          body = encodeRefReferencedAnswer(answer)
          type = RefFrameType.REFERENCED_OK
          break
        }
        default:
          body = encodeRefListAnswer(await this.handler.partition(decodeRefPartitionRequest(frame.body), ctx))
          type = RefFrameType.LIST_OK
      }
    } catch (err) {
      const code = wireCodeOf(err)
      if (code === 'ERR_INTERNAL') this.log.error('request %d failed - %e', frame.requestId, err)
      type = RefFrameType.ERROR
      body = encodeRefErrorAnswer({ code, message: wireMessageOf(err, code) })
    }
    await this.send(type, frame.requestId, body)
  }

  protected async onSourceEnd (): Promise<void> {
    // the client is done asking: answer what runs, then close our side
    if (this.inFlight > 0) await new Promise<void>(resolve => { this.drainWaiter = resolve })
    await this.closeWrite()
    this.finish()
  }

  protected async onSessionError (err: Error): Promise<void> {
    if (this.error != null || this.failing) return
    this.failing = true
    const code = wireCodeOf(err)
    this.log('closing session - %e', err)
    let told = false
    try {
      // best effort: tell the peer why and half-close, without waiting long on a peer that does not read
      await Promise.race([
        (async () => {
          await this.send(RefFrameType.ERROR, REF_SESSION_REQUEST_ID, encodeRefErrorAnswer({ code, message: wireMessageOf(err, code) }))
          await this.closeWrite()
          told = true
        })(),
        new Promise<void>(resolve => { setTimeout(resolve, SESSION_ERROR_FLUSH_MS).unref?.() })
      ])
    } catch {
      // the transport is already broken
    }
    if (!told) {
      this.abort(err)
      return
    }
    // a reset discards what the peer has not read yet: give the error time to be read first
    const timer = setTimeout(() => { this.abort(err) }, SESSION_ERROR_FLUSH_MS)
    timer.unref?.()
    void this.closed.then(() => { clearTimeout(timer) })
  }

  protected override onFinish (): void {
    this.controller.abort(this.error ?? new Error('session closed'))
    const wake = this.slotWaiter
    this.slotWaiter = undefined
    wake?.()
  }

  protected override onIdleCheck (now: number): void {
    if (this.failing) return
    if (this.inFlight === 0 && now - this.lastActivity > this.idleTimeout) {
      this.log('idle for %d ms, closing', now - this.lastActivity)
      this.abort(new InactivityTimeoutError(`session idle for ${this.idleTimeout} ms`))
    }
  }
}
