/**
 * Ref operations on any peer over pooled long-lived streams (one session per
 * peer, requests multiplexed on it). Answers are checked, not trusted: every
 * record is decoded and validated, a GET answer must be the record asked
 * for, and a LIST page must be in strict key order, inside the bucket,
 * prefix and cursor asked for.
 */
import { logger } from '@libp2p/logger'
import { PeerUnreachableError, ProtocolError, SessionClosedError } from '../chunk/errors.js'
import { libp2pTransport } from '../chunk/libp2p.js'
import { WeftError } from '../errors.js'
import {
  DEFAULT_REF_CLIENT_IDLE_TIMEOUT, DEFAULT_REF_INACTIVITY_TIMEOUT, DEFAULT_REF_READ_HIGH_WATER_MARK,
  DEFAULT_REF_REFERENCED_TIMEOUT, DEFAULT_REF_REQUEST_TIMEOUT, REFS_PROTOCOL
} from './constants.js'
import { RefClientSession } from './client-session.js'
import { RefFrameType } from './frame.js'
import {
  decodeRefGetAnswer, decodeRefListAnswer, decodeRefPutAnswer, decodeRefReferencedAnswer, encodeRefGetRequest, encodeRefListRequest,
  encodeRefPartitionRequest, encodeRefReferencedRequest
} from './messages.js'
import { compareKeys, decodeStoredRecord, encodeStoredRecord, recordLocation } from './records.js'
import type { ByteDuplex } from '../chunk/duplex.js'
import type { StreamDialer } from '../chunk/libp2p.js'
import type { RefListRequest, RefPartitionRequest, RefPutAnswer, RefReferencedAnswer } from './messages.js'
import type { RecordLocation, StoredRecord } from './records.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Opens a byte stream to a peer; `refsTransport(libp2p)` is the libp2p one. */
export type RefTransport = (peer: PeerId, options?: AbortOptions) => Promise<ByteDuplex>

export interface RefPeerClientInit {
  transport: RefTransport
  /**
   * How long (ms) a request (including opening its stream) may take.
   *
   * @default DEFAULT_REF_REQUEST_TIMEOUT
   */
  requestTimeout?: number
  /**
   * A session unused this long (ms) is closed.
   *
   * @default DEFAULT_REF_CLIENT_IDLE_TIMEOUT
   */
  idleTimeout?: number
  /**
   * @default DEFAULT_REF_INACTIVITY_TIMEOUT
   */
  inactivityTimeout?: number
}

export interface ReferencedOptions extends AbortOptions {
  /**
   * @default DEFAULT_REF_REFERENCED_TIMEOUT
   */
  timeout?: number
}

/** One page of records from one peer. */
export interface RecordPage {
  readonly records: StoredRecord[]
  /** the peer holds more after the last record */
  readonly more: boolean
}

/** Ref operations on one peer at a time. */
export interface RefPeerClient {
  /** Stores a record on `peer` (durably, when it answers). */
  put(peer: PeerId, record: StoredRecord, options?: AbortOptions): Promise<RefPutAnswer>
  /** The record `peer` holds at `location` (tombstones included), or undefined. */
  get(peer: PeerId, location: RecordLocation, options?: AbortOptions): Promise<StoredRecord | undefined>
  /** One page of a bucket's records (tombstones included) in key order. */
  list(peer: PeerId, request: RefListRequest, options?: AbortOptions): Promise<RecordPage>
  /** One page of a partition's records; members only. */
  partition(peer: PeerId, request: RefPartitionRequest, options?: AbortOptions): Promise<RecordPage>
  /**
   * Which of `cids` (1..MAX_REFERENCED_BATCH chunk ids) a live ref held by
   * `peer` reaches (garbage collection; members only). The peer scans all
   * its refs before it answers, so this waits up to `timeout` ms.
   */
  referenced(peer: PeerId, cids: readonly CID[], options?: ReferencedOptions): Promise<RefReferencedAnswer>
  /** Closes every pooled session. */
  close(): Promise<void>
}

const log = logger('weft:refs:client')

interface Entry {
  session?: RefClientSession
  opening?: Promise<RefClientSession>
  usedAt: number
}

class DefaultRefPeerClient implements RefPeerClient {
  private readonly init: RefPeerClientInit
  private readonly entries = new Map<string, Entry>()
  private readonly requestTimeout: number
  private readonly idleTimeout: number
  private sweeper?: ReturnType<typeof setInterval>
  private closed = false

  constructor (init: RefPeerClientInit) {
    this.init = init
    this.requestTimeout = Math.ceil(init.requestTimeout ?? DEFAULT_REF_REQUEST_TIMEOUT)
    if (!(this.requestTimeout > 0)) throw new TypeError('requestTimeout must be a positive number of ms')
    this.idleTimeout = init.idleTimeout ?? DEFAULT_REF_CLIENT_IDLE_TIMEOUT
  }

  async put (peer: PeerId, record: StoredRecord, options: AbortOptions = {}): Promise<RefPutAnswer> {
    const body = encodeStoredRecord(record)
    return decodeRefPutAnswer(await this.request(peer, RefFrameType.PUT, body, options))
  }

  async get (peer: PeerId, location: RecordLocation, options: AbortOptions = {}): Promise<StoredRecord | undefined> {
    const bytes = decodeRefGetAnswer(await this.request(peer, RefFrameType.GET, encodeRefGetRequest(location), options))
    if (bytes == null) return undefined
    const record = decodeStoredRecord(bytes)
    const at = recordLocation(record)
    if (at.bucket !== location.bucket || at.key !== location.key) throw new ProtocolError(`asked for ${location.bucket}/${location.key}, got ${at.bucket}/${at.key}`)
    return record
  }

  async list (peer: PeerId, request: RefListRequest, options: AbortOptions = {}): Promise<RecordPage> {
    const answer = decodeRefListAnswer(await this.request(peer, RefFrameType.LIST, encodeRefListRequest(request), options))
    if (answer.records.length > request.limit) throw new ProtocolError(`${answer.records.length} records for a limit of ${request.limit}`)
    const records: StoredRecord[] = []
    let last = request.startAfter
    for (const bytes of answer.records) {
      const record = decodeStoredRecord(bytes)
      const { bucket, key } = recordLocation(record)
      if (bucket !== request.bucket) throw new ProtocolError(`listed a record of bucket ${bucket}`)
      if (!key.startsWith(request.prefix)) throw new ProtocolError('listed a key outside the prefix')
      if (last !== undefined && compareKeys(last, key) >= 0) throw new ProtocolError('listed keys out of order')
      last = key
      records.push(record)
    }
    return { records, more: answer.more }
  }

  async partition (peer: PeerId, request: RefPartitionRequest, options: AbortOptions = {}): Promise<RecordPage> {
    const answer = decodeRefListAnswer(await this.request(peer, RefFrameType.PARTITION, encodeRefPartitionRequest(request), options))
    if (answer.records.length > request.limit) throw new ProtocolError(`${answer.records.length} records for a limit of ${request.limit}`)
    return { records: answer.records.map(decodeStoredRecord), more: answer.more }
  }

  async referenced (peer: PeerId, cids: readonly CID[], options: ReferencedOptions = {}): Promise<RefReferencedAnswer> {
    const body = encodeRefReferencedRequest(cids)
    const timeout = Math.ceil(options.timeout ?? DEFAULT_REF_REFERENCED_TIMEOUT)
    return decodeRefReferencedAnswer(await this.request(peer, RefFrameType.REFERENCED, body, { signal: options.signal, timeout }), cids.length)
  }

  async close (): Promise<void> {
    this.closed = true
    if (this.sweeper != null) clearInterval(this.sweeper)
    this.sweeper = undefined
    const entries = [...this.entries.values()]
    this.entries.clear()
    await Promise.all(entries.map(async e => {
      const session = e.session ?? await e.opening?.catch(() => undefined)
      if (session == null) return
      session.close()
      await session.closed
    }))
  }

  /** One request; a pooled session that turns out to be dead is replaced once. */
  private async request (peer: PeerId, type: RefFrameType, body: Uint8Array, options: AbortOptions & { timeout?: number }): Promise<Uint8Array> {
    const timeout = options.timeout ?? this.requestTimeout
    const signal = options.signal != null ? AbortSignal.any([options.signal, AbortSignal.timeout(timeout)]) : AbortSignal.timeout(timeout)
    for (let attempt = 0; ; attempt++) {
      const { session, reused } = await this.session(peer, signal)
      try {
        return await session.request(type, body, { signal, timeout })
      } catch (err) {
        options.signal?.throwIfAborted()
        // the stream died under an idle pooled session (the peer restarted, a server idle close): retry on a fresh one
        if (reused && attempt === 0 && err instanceof SessionClosedError) continue
        throw err
      }
    }
  }

  private async session (peer: PeerId, signal: AbortSignal): Promise<{ session: RefClientSession, reused: boolean }> {
    if (this.closed) throw new SessionClosedError('ref client is closed')
    const key = peer.toString()
    let entry = this.entries.get(key)
    if (entry?.session != null && !entry.session.isOpen) entry.session = undefined
    if (entry?.session != null) {
      entry.usedAt = Date.now()
      return { session: entry.session, reused: true }
    }
    if (entry == null) {
      entry = { usedAt: Date.now() }
      this.entries.set(key, entry)
      this.startSweeper()
    }
    const e = entry
    if (e.opening == null) {
      // not the caller's signal: other callers may wait on the same opening
      const opening = this.open(peer, key, AbortSignal.timeout(this.requestTimeout)).then(session => {
        e.session = session
        return session
      })
      e.opening = opening
      opening.finally(() => { if (e.opening === opening) e.opening = undefined }).catch(() => {})
    }
    const session = await raceSignal(e.opening, signal)
    e.usedAt = Date.now()
    return { session, reused: false }
  }

  private async open (peer: PeerId, key: string, signal: AbortSignal): Promise<RefClientSession> {
    let duplex: ByteDuplex
    try {
      duplex = await this.init.transport(peer, { signal })
    } catch (err) {
      if (err instanceof WeftError) throw err
      signal.throwIfAborted()
      throw new PeerUnreachableError(`could not open a ref stream to ${key}: ${(err as Error).message}`, undefined, { cause: err })
    }
    const session = new RefClientSession(duplex, {
      log: log.newScope(key.slice(-8)),
      requestTimeout: this.requestTimeout,
      inactivityTimeout: this.init.inactivityTimeout ?? DEFAULT_REF_INACTIVITY_TIMEOUT
    })
    if (this.closed) {
      session.close()
      throw new SessionClosedError('ref client is closed')
    }
    return session
  }

  private startSweeper (): void {
    if (this.sweeper != null) return
    this.sweeper = setInterval(() => {
      const now = Date.now()
      for (const [key, e] of this.entries) {
        if (e.opening != null) continue
        if (e.session == null || !e.session.isOpen) {
          this.entries.delete(key)
        } else if (e.session.inFlight === 0 && now - e.usedAt > this.idleTimeout) {
          e.session.close()
          this.entries.delete(key)
        }
      }
      if (this.entries.size === 0 && this.sweeper != null) {
        clearInterval(this.sweeper)
        this.sweeper = undefined
      }
    }, Math.max(50, Math.floor(this.idleTimeout / 2)))
    this.sweeper.unref?.()
  }
}

export function createRefPeerClient (init: RefPeerClientInit): RefPeerClient {
  return new DefaultRefPeerClient(init)
}

export interface RefsTransportInit {
  /**
   * Bytes held from a stream before it is paused.
   *
   * @default DEFAULT_REF_READ_HIGH_WATER_MARK
   */
  highWaterMark?: number
}

/** Opens ref sessions over libp2p streams (`/weft/refs/1`). */
export function refsTransport (libp2p: StreamDialer, init: RefsTransportInit = {}): RefTransport {
  return libp2pTransport(libp2p, { protocol: REFS_PROTOCOL, highWaterMark: init.highWaterMark ?? DEFAULT_REF_READ_HIGH_WATER_MARK })
}

async function raceSignal<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        onAbort = () => { reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')) }
        signal.addEventListener('abort', onAbort, { once: true })
      })
    ])
  } finally {
    if (onAbort != null) signal.removeEventListener('abort', onAbort)
  }
}
