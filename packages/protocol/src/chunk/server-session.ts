import { logger } from '@libp2p/logger'
import { ByteQueue } from './byte-queue.js'
import {
  DEFAULT_BODY_BUFFER_BYTES, DEFAULT_INACTIVITY_TIMEOUT, DEFAULT_MAX_CONCURRENT_REQUESTS,
  DEFAULT_SERVER_IDLE_TIMEOUT, MAX_FRAME_PAYLOAD, SESSION_REQUEST_ID
} from './constants.js'
import {
  BusyError, CancelledError, ProtocolError, SessionClosedError, SizeMismatchError, InactivityTimeoutError,
  wireCodeOf, wireMessageOf
} from './errors.js'
import { FrameFlags, FrameType, isRequestType } from './frame.js'
import { FrameSession } from './frame-session.js'
import {
  decodeCidRequest, decodeGetRequest, decodeHasRequest, decodePutRequest, encodeDeleteResult,
  encodeError, encodeGetHead, encodeHasResult, encodePutResult, encodeStatResult
} from './messages.js'
import { exactSlices } from './slices.js'
import type { ByteDuplex } from './duplex.js'
import type { Frame } from './frame.js'
import type { ChunkStat, GetHead, GetRequest, PutRequest, PutResult } from './messages.js'
import type { Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface ChunkRequestContext {
  /** Aborted when the caller cancels, the request times out or the session ends */
  signal: AbortSignal
  /** The authenticated peer at the other end, when the transport knows it */
  remotePeer?: PeerId
}

export interface GetAnswer {
  head: GetHead
  /** Exactly `head.length` bytes */
  data: AsyncIterable<Uint8Array>
}

/** What serves requests; the node implements it over its chunk store. */
export interface ChunkHandler {
  /** `body` yields exactly `req.size` bytes or throws (size mismatch, cancel, timeout). */
  put(req: PutRequest, body: AsyncIterable<Uint8Array>, ctx: ChunkRequestContext): Promise<PutResult>
  get(req: GetRequest, ctx: ChunkRequestContext): Promise<GetAnswer>
  has(cids: CID[], ctx: ChunkRequestContext): Promise<boolean[]>
  stat(cid: CID, ctx: ChunkRequestContext): Promise<ChunkStat | undefined>
  delete(cid: CID, ctx: ChunkRequestContext): Promise<boolean>
}

/** A counter shared by all sessions of one peer: requests beyond it are refused with ERR_BUSY. */
export interface RequestLimiter {
  tryAcquire(): boolean
  release(): void
}

export interface ServerSessionInit {
  handler: ChunkHandler
  remotePeer?: PeerId
  /**
   * Requests run at once on this session; more are answered ERR_BUSY.
   *
   * @default DEFAULT_MAX_CONCURRENT_REQUESTS
   */
  maxConcurrentRequests?: number
  /**
   * A request body, a half-received frame or a blocked write may make no
   * progress for this long (ms) before the request fails or the stream is reset.
   *
   * @default DEFAULT_INACTIVITY_TIMEOUT
   */
  inactivityTimeout?: number
  /**
   * A session with no request and no traffic for this long (ms) is closed.
   *
   * @default DEFAULT_SERVER_IDLE_TIMEOUT
   */
  idleTimeout?: number
  /**
   * Bytes of one request's body buffered before the stream is paused.
   *
   * @default DEFAULT_BODY_BUFFER_BYTES
   */
  bodyBufferBytes?: number
  limiter?: RequestLimiter
  log?: Logger
}

interface ServerRequest {
  id: number
  controller: AbortController
  body?: ByteQueue
  /** Declared PUT size; the body must match it exactly */
  size: number
  received: number
  lastActivity: number
  done?: Promise<void>
}

/**
 * The server end of a chunk session: decodes requests from one transport
 * stream, runs them (up to a limit) through a ChunkHandler and writes the
 * answers. Every failure of a request becomes an ERROR frame with a stable
 * code; a malformed frame ends the session with an ERROR on request id 0 and
 * a reset.
 */
export class ServerSession extends FrameSession {
  private readonly handler: ChunkHandler
  private readonly remotePeer?: PeerId
  private readonly maxConcurrentRequests: number
  private readonly idleTimeout: number
  private readonly bodyBufferBytes: number
  private readonly limiter?: RequestLimiter
  private readonly active = new Map<number, ServerRequest>()
  private lastFrameAt = Date.now()

  constructor (duplex: ByteDuplex, init: ServerSessionInit) {
    super(duplex, {
      inactivityTimeout: init.inactivityTimeout ?? DEFAULT_INACTIVITY_TIMEOUT,
      log: init.log ?? logger('weft:chunk:server')
    })
    this.handler = init.handler
    this.remotePeer = init.remotePeer
    this.maxConcurrentRequests = init.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS
    this.idleTimeout = init.idleTimeout ?? DEFAULT_SERVER_IDLE_TIMEOUT
    this.bodyBufferBytes = init.bodyBufferBytes ?? DEFAULT_BODY_BUFFER_BYTES
    this.limiter = init.limiter
  }

  /** Requests running now. */
  get activeRequests (): number {
    return this.active.size
  }

  /** Serve until the peer closes or the session breaks; never rejects. */
  async run (): Promise<void> {
    try {
      await this.readFrames()
      // the peer half-closed: bodies still open can never complete
      for (const req of this.active.values()) {
        req.body?.fail(new SessionClosedError('peer closed its side before the body ended'))
      }
      await Promise.allSettled([...this.active.values()].map(async r => r.done))
      if (this.isOpen) {
        await this.duplex.close().catch(() => {})
      }
      this.finish()
    } catch (err) {
      if (err instanceof ProtocolError && this.isOpen) {
        this.log('protocol error from %p - %e', this.remotePeer, err)
        // tell the peer why before the reset, but never wait long on a peer that does not read
        const why = this.sendFrame(FrameType.ERROR, FrameFlags.END, SESSION_REQUEST_ID, encodeError({ code: err.code, message: err.message }))
        await Promise.race([why.catch(() => {}), new Promise(resolve => setTimeout(resolve, 100).unref())])
      }
      this.abort(err as Error)
    }
  }

  protected onAbort (err: Error): void {
    for (const req of this.active.values()) {
      req.controller.abort(err)
      req.body?.fail(err)
    }
  }

  protected onWatchdog (now: number): void {
    if (this.active.size === 0) {
      if (now - this.lastFrameAt > this.idleTimeout && this.partialBytes === 0) {
        this.abort(new InactivityTimeoutError(`session idle for ${this.idleTimeout} ms`))
      }
      return
    }
    const stalled = this.isBackpressured
    for (const req of this.active.values()) {
      if (req.body == null || req.body.isClosed) {
        continue
      }
      if (stalled) {
        // our own consumer is slow, not the peer: its time does not count
        req.lastActivity = now
      } else if (now - req.lastActivity > this.inactivityTimeout) {
        const err = new InactivityTimeoutError(`request body made no progress for ${this.inactivityTimeout} ms`)
        req.body.fail(err)
        req.controller.abort(err)
      }
    }
  }

  protected async onFrame (frame: Frame): Promise<void> {
    this.lastFrameAt = Date.now()
    if (isRequestType(frame.type)) {
      await this.onRequest(frame)
      return
    }
    const req = this.active.get(frame.requestId)
    if (frame.type === FrameType.DATA) {
      // DATA for a request already answered or refused is dropped: the peer
      // may have sent it before it saw the answer
      if (req?.body != null) {
        await this.pushBody(req, frame)
      }
      return
    }
    if (frame.type === FrameType.CANCEL) {
      if (req != null) {
        const err = new CancelledError('request cancelled by the peer')
        req.controller.abort(err)
        req.body?.fail(err)
      }
      return
    }
    throw new ProtocolError(`unexpected frame type 0x${frame.type.toString(16)} from a client`)
  }

  private async onRequest (frame: Frame): Promise<void> {
    const id = frame.requestId
    if (id === SESSION_REQUEST_ID) {
      throw new ProtocolError('request id 0 is reserved')
    }
    if (this.active.has(id)) {
      throw new ProtocolError(`request id ${id} is already in use`)
    }
    if (this.active.size >= this.maxConcurrentRequests) {
      await this.sendError(id, new BusyError(`at most ${this.maxConcurrentRequests} requests per stream`))
      return
    }
    if (this.limiter != null && !this.limiter.tryAcquire()) {
      await this.sendError(id, new BusyError('too many requests from this peer'))
      return
    }
    let run: () => Promise<void>
    const req: ServerRequest = { id, controller: new AbortController(), size: 0, received: 0, lastActivity: Date.now() }
    try {
      run = this.prepare(frame, req)
    } catch (err) {
      this.limiter?.release()
      await this.sendError(id, err)
      return
    }
    this.active.set(id, req)
    req.done = this.runRequest(req, run)
    if (req.body != null) {
      await this.pushBody(req, frame)
    }
  }

  /** Decode the request (typed errors go back to the peer) and bind it to its handler. */
  private prepare (frame: Frame, req: ServerRequest): () => Promise<void> {
    const ctx: ChunkRequestContext = { signal: req.controller.signal, remotePeer: this.remotePeer }
    switch (frame.type) {
      case FrameType.PUT: {
        const put = decodePutRequest(frame.meta)
        req.size = put.size
        req.body = new ByteQueue(this.bodyBufferBytes)
        const body = req.body
        return async () => {
          const result = await this.handler.put(put, body, ctx)
          // an answer before the whole body came (the chunk existed): drop the rest
          body.discard()
          await this.sendFrame(FrameType.PUT_OK, FrameFlags.END, req.id, encodePutResult(result))
        }
      }
      case FrameType.GET: {
        const get = decodeGetRequest(frame.meta)
        return async () => { await this.answerGet(req, await this.handler.get(get, ctx)) }
      }
      case FrameType.HAS: {
        const cids = decodeHasRequest(frame.meta, frame.payload)
        return async () => {
          const found = await this.handler.has(cids, ctx)
          if (found.length !== cids.length) {
            throw new Error('has() answered a different number of ids than asked')
          }
          await this.sendFrame(FrameType.HAS_OK, FrameFlags.END, req.id, encodeHasResult(found))
        }
      }
      case FrameType.STAT: {
        const cid = decodeCidRequest(frame.meta)
        return async () => {
          await this.sendFrame(FrameType.STAT_OK, FrameFlags.END, req.id, encodeStatResult(await this.handler.stat(cid, ctx)))
        }
      }
      case FrameType.DELETE: {
        const cid = decodeCidRequest(frame.meta)
        return async () => {
          await this.sendFrame(FrameType.DELETE_OK, FrameFlags.END, req.id, encodeDeleteResult(await this.handler.delete(cid, ctx)))
        }
      }
      default:
        throw new ProtocolError(`unexpected request type 0x${frame.type.toString(16)}`)
    }
  }

  private async runRequest (req: ServerRequest, run: () => Promise<void>): Promise<void> {
    try {
      await run()
    } catch (err) {
      // a cancelled request gets no answer: the peer has forgotten its id
      if (this.isOpen && !(req.controller.signal.reason instanceof CancelledError)) {
        await this.sendError(req.id, err).catch(() => {})
      }
    } finally {
      req.body?.discard()
      this.active.delete(req.id)
      this.limiter?.release()
    }
  }

  private async answerGet (req: ServerRequest, answer: GetAnswer): Promise<void> {
    const { head, data } = answer
    const signal = req.controller.signal
    if (head.length === 0) {
      await this.sendFrame(FrameType.GET_OK, FrameFlags.END, req.id, encodeGetHead(head))
      return
    }
    await this.sendFrame(FrameType.GET_OK, 0, req.id, encodeGetHead(head))
    let sent = 0
    for await (const slice of exactSlices(data, head.length, MAX_FRAME_PAYLOAD)) {
      signal.throwIfAborted()
      sent += slice.byteLength
      await this.sendFrame(FrameType.DATA, sent === head.length ? FrameFlags.END : 0, req.id, undefined, slice)
    }
  }

  private async pushBody (req: ServerRequest, frame: Frame): Promise<void> {
    const body = req.body
    if (body == null || body.isClosed) {
      return
    }
    req.lastActivity = Date.now()
    req.received += frame.payload.byteLength
    if (req.received > req.size) {
      body.fail(new SizeMismatchError(`body is longer than its declared ${req.size} bytes`))
      return
    }
    const wait = body.push(frame.payload)
    if ((frame.flags & FrameFlags.END) !== 0) {
      if (req.received < req.size) {
        body.fail(new SizeMismatchError(`body ended after ${req.received} of its declared ${req.size} bytes`))
      } else {
        body.end()
      }
    }
    await this.awaitConsumer(wait, err => {
      body.fail(err)
      req.controller.abort(err)
    })
  }

  private async sendError (id: number, err: unknown): Promise<void> {
    const code = wireCodeOf(err)
    if (code === 'ERR_INTERNAL') {
      this.log.error('request %d from %p failed - %e', id, this.remotePeer, err)
    }
    await this.sendFrame(FrameType.ERROR, FrameFlags.END, id, encodeError({ code, message: wireMessageOf(err, code) }))
  }
}
