/**
 * The node's side of the ref protocol (`/weft/refs/1`): serves PUT, GET and
 * LIST to anyone in the mesh (clients write refs), PARTITION to members
 * only (it walks what repair needs), from the node's ref store, and
 * REFERENCED to members only (garbage collection's question, answered by
 * the node's collector).
 */
import { logger } from '@libp2p/logger'
import {
  BusyError, ClockDriftError, DEFAULT_MAX_DRIFT_MS, InvalidRefRequestError, NotMemberError, REFS_PROTOCOL, RefServerSession, SessionClosedError,
  streamToDuplex
} from '@weft/protocol'
import {
  DEFAULT_REFS_MAX_INBOUND_STREAMS, DEFAULT_REFS_MAX_OUTBOUND_STREAMS, DEFAULT_REFS_MAX_SESSIONS_PER_PEER
} from './constants.js'
import { RefStore } from './store.js'
import type { NodeComponent } from '../component.js'
import type { MetaDb } from '../store/index.js'
import type { AbortOptions, Connection, PeerId, Stream, StreamHandlerOptions } from '@libp2p/interface'
import type { RefHandler, RefReferencedAnswer } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

const log = logger('weft:node:refs')

/** The part of a libp2p node the ref service uses. */
export interface RefLibp2p {
  handle(protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>, options?: StreamHandlerOptions): Promise<void>
  unhandle(protocol: string, options?: AbortOptions): Promise<void>
}

export interface RefServiceComponents {
  libp2p: RefLibp2p
  /** the node's meta db to share (sublevels `refs` and `ref-partitions`); left open on stop */
  db?: MetaDb
  /** without `db`: the data dir, where `<dir>/meta-refs` is opened (and closed on stop) */
  dir?: string
  /** only members may walk partitions; without it PARTITION is refused to everyone */
  isMember?(peer: PeerId): boolean
  /**
   * answers REFERENCED for members (garbage collection: which of these chunk
   * ids a live ref held here reaches); without it REFERENCED is refused
   */
  referenced?(cids: CID[], options: AbortOptions): Promise<RefReferencedAnswer>
}

export interface RefServiceInit {
  /**
   * @default DEFAULT_REFS_MAX_INBOUND_STREAMS
   */
  maxInboundStreams?: number
  /**
   * @default DEFAULT_REFS_MAX_OUTBOUND_STREAMS
   */
  maxOutboundStreams?: number
  /**
   * @default DEFAULT_REFS_MAX_SESSIONS_PER_PEER
   */
  maxSessionsPerPeer?: number
  /**
   * Requests one session runs at once (then the stream is not read until one ends).
   *
   * @default DEFAULT_REF_MAX_CONCURRENT_REQUESTS (@weft/protocol)
   */
  maxConcurrentRequests?: number
  /**
   * @default DEFAULT_REF_INACTIVITY_TIMEOUT (@weft/protocol)
   */
  inactivityTimeout?: number
  /**
   * @default DEFAULT_REF_SERVER_IDLE_TIMEOUT (@weft/protocol)
   */
  idleTimeout?: number
  /**
   * @default DEFAULT_REF_READ_HIGH_WATER_MARK (@weft/protocol)
   */
  highWaterMark?: number
  /**
   * records whose version is further ahead of this node's clock are refused
   * with ERR_CLOCK_DRIFT (ms)
   *
   * @default DEFAULT_MAX_DRIFT_MS (@weft/protocol, 60 s)
   */
  maxDriftMs?: number
}

export interface RefServiceStats {
  sessions: number
  activeRequests: number
}

/** Serves `/weft/refs/1` from the node's ref store. */
export interface RefService extends NodeComponent {
  readonly status: 'stopped' | 'started'
  /** the ref store; open while the service is started */
  readonly store: RefStore
  stats(): RefServiceStats
}

class DefaultRefService implements RefService {
  readonly name = 'refs'
  status: 'stopped' | 'started' = 'stopped'
  private readonly components: RefServiceComponents
  private readonly init: RefServiceInit
  private readonly sessions = new Set<RefServerSession>()
  private readonly perPeer = new Map<string, number>()
  private readonly maxDriftMs: number
  private opened?: RefStore

  constructor (components: RefServiceComponents, init: RefServiceInit) {
    if (components.db == null && (components.dir == null || components.dir === '')) throw new TypeError('createRefService needs a db or a dir')
    this.components = components
    this.init = init
    this.maxDriftMs = init.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS
  }

  get store (): RefStore {
    if (this.opened == null) throw new SessionClosedError('the ref service is not started')
    return this.opened
  }

  async start (): Promise<void> {
    if (this.status === 'started') return
    const store = await RefStore.open({ db: this.components.db, dir: this.components.dir })
    try {
      await this.components.libp2p.handle(REFS_PROTOCOL, (stream, connection) => { this.onStream(stream, connection, store) }, {
        maxInboundStreams: this.init.maxInboundStreams ?? DEFAULT_REFS_MAX_INBOUND_STREAMS,
        maxOutboundStreams: this.init.maxOutboundStreams ?? DEFAULT_REFS_MAX_OUTBOUND_STREAMS
      })
    } catch (err) {
      await store.close()
      throw err
    }
    this.opened = store
    this.status = 'started'
  }

  async stop (): Promise<void> {
    if (this.status === 'stopped') return
    this.status = 'stopped'
    await this.components.libp2p.unhandle(REFS_PROTOCOL).catch(() => {})
    await Promise.all([...this.sessions].map(async s => {
      s.abort(new SessionClosedError('ref service stopping'))
      await s.closed
    }))
    await this.opened?.close()
  }

  stats (): RefServiceStats {
    let activeRequests = 0
    for (const s of this.sessions) activeRequests += s.activeRequests
    return { sessions: this.sessions.size, activeRequests }
  }

  /** The store's answers for one remote peer. */
  private handler (store: RefStore, peer: PeerId): RefHandler {
    return {
      put: async (record, bytes) => {
        // a version from the far future would win every later write and could never be deleted
        const ahead = record.version.wallMs - Date.now()
        if (ahead > this.maxDriftMs) throw new ClockDriftError(`version is ${ahead} ms ahead of this node's clock (limit ${this.maxDriftMs} ms)`, ahead)
        return store.put(record, bytes)
      },
      get: async (loc) => store.getBytes(loc),
      list: async (req, ctx) => store.list(req, { signal: ctx.signal }),
      partition: async (req, ctx) => {
        if (this.components.isMember?.(peer) !== true) throw new NotMemberError('only mesh members may walk partitions')
        return store.partition(req, { signal: ctx.signal })
      },
      referenced: async (cids, ctx) => {
        if (this.components.isMember?.(peer) !== true) throw new NotMemberError('only mesh members may ask what refs reference')
        if (this.components.referenced == null) throw new InvalidRefRequestError('this node does not answer REFERENCED')
        return this.components.referenced(cids, { signal: ctx.signal })
      }
    }
  }

  private onStream (stream: Stream, connection: Connection, store: RefStore): void {
    const peer = connection.remotePeer
    const key = peer.toString()
    if (this.status !== 'started') {
      stream.abort(new SessionClosedError('ref service stopping'))
      return
    }
    const open = this.perPeer.get(key) ?? 0
    if (open >= (this.init.maxSessionsPerPeer ?? DEFAULT_REFS_MAX_SESSIONS_PER_PEER)) {
      log('refusing another ref stream from %p: %d open', peer, open)
      stream.abort(new BusyError('too many ref streams from this peer'))
      return
    }
    this.perPeer.set(key, open + 1)
    const session = new RefServerSession(streamToDuplex(stream, { highWaterMark: this.init.highWaterMark }), {
      handler: this.handler(store, peer),
      peer: key,
      maxConcurrentRequests: this.init.maxConcurrentRequests,
      inactivityTimeout: this.init.inactivityTimeout,
      idleTimeout: this.init.idleTimeout,
      log: log.newScope(key.slice(-8))
    })
    this.sessions.add(session)
    void session.closed.then(() => {
      this.sessions.delete(session)
      const left = (this.perPeer.get(key) ?? 1) - 1
      if (left <= 0) this.perPeer.delete(key)
      else this.perPeer.set(key, left)
    })
  }
}

/**
 * Creates the ref service, stopped: `start()` opens the store and registers
 * the protocol handler (on a started or stopped libp2p node), `stop()`
 * resets open sessions and closes the store (and its db, if it opened one).
 */
export function createRefService (components: RefServiceComponents, init: RefServiceInit = {}): RefService {
  return new DefaultRefService(components, init)
}
