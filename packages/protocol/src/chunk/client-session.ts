import { logger } from '@libp2p/logger'
import { ByteQueue } from './byte-queue.js'
import {
  DEFAULT_BODY_BUFFER_BYTES, DEFAULT_INACTIVITY_TIMEOUT, MAX_FRAME_PAYLOAD,
  SESSION_REQUEST_ID
} from './constants.js'
import {
  CancelledError, ProtocolError, SessionClosedError, SizeMismatchError, InactivityTimeoutError, errorFromWire
} from './errors.js'
import { FrameFlags, FrameType } from './frame.js'
import { FrameSession, asSessionError } from './frame-session.js'
import {
  decodeDeleteResult, decodeError, decodeGetHead, decodeHasResult, decodePutResult, decodeStatResult,
  encodeCidRequest, encodeGetRequest, encodeHasRequest, encodePutRequest
} from './messages.js'
import { exactSlices } from './slices.js'
import type { ByteDuplex } from './duplex.js'
import type { FrameBufferPool } from './frame-pool.js'
import type { Frame } from './frame.js'
import type { ChunkStat, GetHead, GetRequest, PutRequest, PutResult } from './messages.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface ClientSessionInit {
  /**
   * A request may wait this long (ms) without any frame of its answer, and
   * the peer may stop mid-frame or stop reading this long, before it fails.
   *
   * @default DEFAULT_INACTIVITY_TIMEOUT
   */
  inactivityTimeout?: number
  /**
   * Bytes of one answer's body buffered before reading stops.
   *
   * @default DEFAULT_BODY_BUFFER_BYTES
   */
  bodyBufferBytes?: number
  log?: Logger
}

export interface GetResponse {
  head: GetHead
  /** Exactly `head.length` bytes; stopping early cancels the request */
  data: AsyncIterable<Uint8Array>
}

interface PendingRequest {
  id: number
  /** The answer type that completes the head */
  expect: FrameType
  head: Deferred<Frame>
  headDone: boolean
  body?: ByteQueue
  expectBytes: number
  received: number
  sending: boolean
  lastActivity: number
  /** How long the answer may make no progress */
  timeout: number
  finished: boolean
  /** where the buffers of this answer's frames come from, when the reader gives them back */
  buffers?: FrameBufferPool
}

/** Options of one GET. */
export interface SessionGetOptions extends AbortOptions {
  /**
   * Receive the answer's frames into buffers of this pool (on a transport
   * that cuts its reads into frames); the reader gives them back.
   */
  buffers?: FrameBufferPool
}

/**
 * The client end of a chunk session: many requests in flight on one
 * transport, told apart by request id. Answer bodies are bounded queues; a
 * slow reader stops this session's transport (so other answers on the same
 * stream wait too: head-of-line blocking, see docs/PROTOCOL.md).
 */
export class ClientSession extends FrameSession {
  private readonly bodyBufferBytes: number
  private readonly pending = new Map<number, PendingRequest>()
  private nextId = 1
  private closing = false
  private closingSince = 0

  constructor (duplex: ByteDuplex, init: ClientSessionInit = {}) {
    super(duplex, {
      inactivityTimeout: init.inactivityTimeout ?? DEFAULT_INACTIVITY_TIMEOUT,
      log: init.log ?? logger('weft:chunk:client')
    })
    this.bodyBufferBytes = init.bodyBufferBytes ?? DEFAULT_BODY_BUFFER_BYTES
    duplex.useFrameAllocator?.((requestId, length) => this.pending.get(requestId)?.buffers?.take(length))
    this.readFrames().then(() => {
      this.onAbort(new SessionClosedError('the peer closed the stream'))
      this.duplex.close().catch(() => {})
      this.finish()
    }, (err: Error) => {
      this.abort(asSessionError(err))
    })
  }

  /** Requests waiting for (the rest of) their answer. */
  get inFlight (): number {
    return this.pending.size
  }

  /** Whether new requests may be started here. */
  get isUsable (): boolean {
    return this.isOpen && !this.closing
  }

  async put (req: PutRequest, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: AbortOptions = {}): Promise<PutResult> {
    const meta = encodePutRequest(req)
    // each replica down the chain may wait its own timeout on the next one
    // before answering: wait longer than all of them, or the writer gives up
    // on replicas that did store the chunk
    const p = this.open(FrameType.PUT_OK, 0, this.inactivityTimeout * (1 + req.forward.length))
    const run = async (): Promise<Frame> => {
      p.sending = true
      const slices = exactSlices(body, req.size, MAX_FRAME_PAYLOAD)
      try {
        // the first slice rides in the PUT frame: a small chunk is one frame
        const first = await slices.next()
        const payload = first.done === true ? undefined : first.value
        let sent = payload?.byteLength ?? 0
        await this.sendFrame(FrameType.PUT, sent === req.size ? FrameFlags.END : 0, p.id, meta, payload)
        this.touch(p)
        while (sent < req.size && !p.finished) {
          const next = await slices.next()
          // the answer may come early (the chunk existed, or an error): stop sending then
          if (next.done === true || p.finished) {
            break
          }
          sent += next.value.byteLength
          await this.sendFrame(FrameType.DATA, sent === req.size ? FrameFlags.END : 0, p.id, undefined, next.value)
          this.touch(p)
        }
      } finally {
        p.sending = false
        if (p.finished) {
          slices.return(undefined).catch(() => {})
        }
      }
      return await p.head.promise
    }
    const frame = await this.guard(p, run, options)
    return decodePutResult(frame.meta)
  }

  async get (req: GetRequest, options: SessionGetOptions = {}): Promise<GetResponse> {
    const meta = encodeGetRequest(req)
    const p = this.open(FrameType.GET_OK, 0)
    if (options.buffers != null) p.buffers = options.buffers
    const frame = await this.guard(p, async () => {
      await this.sendFrame(FrameType.GET, FrameFlags.END, p.id, meta)
      this.touch(p)
      return await p.head.promise
    }, options)
    const head = decodeGetHead(frame.meta)
    const body = p.body
    if (body == null || head.offset !== req.offset || (req.length != null && head.length > req.length)) {
      const err = new ProtocolError('GET answer does not match the requested range')
      this.cancel(p, err)
      throw err
    }
    const signal = options.signal
    const onAbort = (): void => { this.cancel(p, signal?.reason as Error) }
    signal?.addEventListener('abort', onAbort, { once: true })
    const data = (async function * (): AsyncGenerator<Uint8Array> {
      try {
        yield * body
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    })()
    return { head, data }
  }

  async has (cids: CID[], options: AbortOptions = {}): Promise<boolean[]> {
    const { meta, payload } = encodeHasRequest(cids)
    const frame = await this.simple(FrameType.HAS, FrameType.HAS_OK, meta, payload, options)
    const found = decodeHasResult(frame.meta)
    if (found.length !== cids.length) {
      throw new ProtocolError(`HAS answer covers ${found.length} of ${cids.length} ids`)
    }
    return found
  }

  async stat (cid: CID, options: AbortOptions = {}): Promise<ChunkStat | undefined> {
    const frame = await this.simple(FrameType.STAT, FrameType.STAT_OK, encodeCidRequest(cid), undefined, options)
    return decodeStatResult(frame.meta)
  }

  async delete (cid: CID, options: AbortOptions = {}): Promise<boolean> {
    const frame = await this.simple(FrameType.DELETE, FrameType.DELETE_OK, encodeCidRequest(cid), undefined, options)
    return decodeDeleteResult(frame.meta)
  }

  /**
   * Stop taking requests and half-close once those in flight are answered;
   * the session ends when the server closes its side.
   */
  close (): void {
    if (this.closing) {
      return
    }
    this.closing = true
    this.closingSince = Date.now()
    this.maybeHalfClose()
  }

  protected onAbort (err: Error): void {
    for (const p of [...this.pending.values()]) {
      this.fail(p, err)
    }
  }

  protected onWatchdog (now: number): void {
    if (this.closing && this.pending.size === 0 && now - this.closingSince > this.inactivityTimeout) {
      this.abort(new InactivityTimeoutError('the peer did not close its side'))
      return
    }
    const stalled = this.isBackpressured
    for (const p of [...this.pending.values()]) {
      if (stalled || p.sending) {
        // waiting on our own reader or writer, not on the peer
        p.lastActivity = now
      } else if (now - p.lastActivity > p.timeout) {
        this.cancel(p, new InactivityTimeoutError(`no answer for ${p.timeout} ms`))
      }
    }
  }

  protected async onFrame (frame: Frame): Promise<void> {
    if (frame.requestId === SESSION_REQUEST_ID) {
      if (frame.type === FrameType.ERROR) {
        const { code, message } = decodeError(frame.meta)
        throw errorFromWire(code, message)
      }
      throw new ProtocolError('frame on request id 0')
    }
    const p = this.pending.get(frame.requestId)
    if (p == null) {
      // the rest of an answer to a request we cancelled
      return
    }
    p.lastActivity = Date.now()
    if (!p.headDone) {
      await this.onHead(p, frame)
      return
    }
    if (frame.type === FrameType.ERROR) {
      const { code, message } = decodeError(frame.meta)
      this.fail(p, errorFromWire(code, message))
      return
    }
    if (frame.type !== FrameType.DATA) {
      throw new ProtocolError(`unexpected frame type 0x${frame.type.toString(16)} inside an answer`)
    }
    await this.pushBody(p, frame)
  }

  private async onHead (p: PendingRequest, frame: Frame): Promise<void> {
    if (frame.type === FrameType.ERROR) {
      const { code, message } = decodeError(frame.meta)
      this.fail(p, errorFromWire(code, message))
      return
    }
    if (frame.type !== p.expect) {
      throw new ProtocolError(`answer type 0x${frame.type.toString(16)} does not match the request`)
    }
    p.headDone = true
    const end = (frame.flags & FrameFlags.END) !== 0
    if (frame.type === FrameType.GET_OK) {
      const head = decodeGetHead(frame.meta)
      p.expectBytes = head.length
      p.body = new ByteQueue(this.bodyBufferBytes, () => { this.cancel(p, new CancelledError('the reader stopped')) })
      p.head.resolve(frame)
      await this.pushBody(p, frame)
      return
    }
    if (!end) {
      throw new ProtocolError('answer continues past a single-frame type')
    }
    this.settle(p)
    p.head.resolve(frame)
  }

  private async pushBody (p: PendingRequest, frame: Frame): Promise<void> {
    const body = p.body
    if (body == null) {
      return
    }
    p.received += frame.payload.byteLength
    if (p.received > p.expectBytes) {
      throw new ProtocolError(`answer body runs past its announced ${p.expectBytes} bytes`)
    }
    const wait = body.push(frame.payload)
    if ((frame.flags & FrameFlags.END) !== 0) {
      if (p.received < p.expectBytes) {
        body.fail(new SizeMismatchError(`answer body ended after ${p.received} of ${p.expectBytes} bytes`))
      } else {
        body.end()
      }
      this.settle(p)
    }
    await this.awaitConsumer(wait, err => { this.cancel(p, err) })
  }

  /** Register a request; ids run up through u32 and skip 0 and any still in use. */
  private open (expect: FrameType, expectBytes: number, timeout = this.inactivityTimeout): PendingRequest {
    if (!this.isUsable) {
      throw this.error ?? new SessionClosedError('session is closing')
    }
    let id = this.nextId
    while (id === SESSION_REQUEST_ID || this.pending.has(id)) {
      id = (id + 1) >>> 0
    }
    this.nextId = (id + 1) >>> 0
    const p: PendingRequest = {
      id,
      expect,
      head: deferred<Frame>(),
      headDone: false,
      expectBytes,
      received: 0,
      sending: false,
      lastActivity: Date.now(),
      timeout,
      finished: false
    }
    // the head promise may be rejected before anyone awaits it
    p.head.promise.catch(() => {})
    this.pending.set(id, p)
    return p
  }

  private async simple (type: FrameType, expect: FrameType, meta: Uint8Array, payload: Uint8Array | undefined, options: AbortOptions): Promise<Frame> {
    const p = this.open(expect, 0)
    return this.guard(p, async () => {
      await this.sendFrame(type, FrameFlags.END, p.id, meta, payload)
      this.touch(p)
      return await p.head.promise
    }, options)
  }

  /** Run a request's send-and-wait; on abort or a local failure, cancel it at the peer. */
  private async guard (p: PendingRequest, run: () => Promise<Frame>, options: AbortOptions): Promise<Frame> {
    const signal = options.signal
    if (signal?.aborted === true) {
      // nothing was sent yet: forget the request without telling the peer
      this.fail(p, signal.reason as Error)
      throw signal.reason
    }
    const onAbort = (): void => { this.cancel(p, signal?.reason as Error) }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await Promise.race([run(), p.head.promise])
    } catch (err) {
      this.cancel(p, err as Error)
      throw err
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  private touch (p: PendingRequest): void {
    p.lastActivity = Date.now()
  }

  /** Stop a request locally and tell the peer to drop it. */
  private cancel (p: PendingRequest, err: Error): void {
    if (p.finished) {
      return
    }
    this.fail(p, err)
    if (this.isOpen) {
      this.sendFrame(FrameType.CANCEL, FrameFlags.END, p.id).catch(() => {})
    }
  }

  private fail (p: PendingRequest, err: Error): void {
    if (p.finished) {
      return
    }
    p.head.reject(err)
    p.body?.fail(err)
    this.settle(p)
  }

  private settle (p: PendingRequest): void {
    if (p.finished) {
      return
    }
    p.finished = true
    this.pending.delete(p.id)
    this.maybeHalfClose()
  }

  private maybeHalfClose (): void {
    if (this.closing && this.pending.size === 0 && this.isOpen) {
      this.duplex.close().catch(err => { this.abort(err as Error) })
    }
  }
}

interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (err: Error) => void
}

function deferred<T> (): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (err: Error) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
