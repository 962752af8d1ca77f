import { logger } from '@libp2p/logger'
import {
  BusyError, CHUNK_PROTOCOL, DEFAULT_READ_HIGH_WATER_MARK, PeerUnreachableError, ServerSession, SessionClosedError,
  createChunkClient, libp2pTransport, streamToDuplex
} from '@weft/protocol'
import {
  DEFAULT_CHUNK_MAX_INBOUND_STREAMS, DEFAULT_CHUNK_MAX_OUTBOUND_STREAMS,
  DEFAULT_CHUNK_MAX_REQUESTS_PER_PEER, DEFAULT_CHUNK_MAX_SESSIONS_PER_PEER
} from './constants.js'
import { createStoreHandler } from './handler.js'
import { loopbackPair } from './loopback.js'
import { observeHandler } from './observe.js'
import type { ChunkStoreView } from './handler.js'
import type { ChunkRequestObserver } from './observe.js'
import type { Connection, PeerId, Stream, StreamHandlerOptions, AbortOptions } from '@libp2p/interface'
import type { ByteDuplex, ChunkClient, ChunkClientInit, ChunkHandler, ChunkTransport, RequestLimiter } from '@weft/protocol'

const log = logger('weft:chunk')

/** The part of a libp2p node the chunk service uses. */
export interface ChunkLibp2p {
  peerId: PeerId
  handle(protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>, options?: StreamHandlerOptions): Promise<void>
  unhandle(protocol: string, options?: AbortOptions): Promise<void>
  dialProtocol(peer: PeerId, protocols: string | string[], options?: AbortOptions): Promise<Stream>
}

export interface ChunkServiceComponents {
  libp2p: ChunkLibp2p
  store: ChunkStoreView
  /** Only members may delete; without it every delete is refused */
  isMember?(peer: PeerId): boolean
  /** Told about every request served (the node feeds its metrics from it) */
  observer?: ChunkRequestObserver
  /**
   * How the service's client reaches other peers (the node: the bulk channel
   * with libp2p as its fallback).
   *
   * @default libp2p streams to `/weft/chunk/1` through `libp2p`
   */
  transport?: ChunkTransport
}

export interface ChunkServiceInit {
  /**
   * Inbound chunk streams per connection; libp2p resets streams beyond it.
   *
   * @default DEFAULT_CHUNK_MAX_INBOUND_STREAMS
   */
  maxInboundStreams?: number
  /**
   * @default DEFAULT_CHUNK_MAX_OUTBOUND_STREAMS
   */
  maxOutboundStreams?: number
  /**
   * Open sessions per peer over all its connections; more are reset.
   *
   * @default DEFAULT_CHUNK_MAX_SESSIONS_PER_PEER
   */
  maxSessionsPerPeer?: number
  /**
   * Running requests per peer over all its sessions; more get ERR_BUSY.
   *
   * @default DEFAULT_CHUNK_MAX_REQUESTS_PER_PEER
   */
  maxRequestsPerPeer?: number
  /**
   * Running requests per session.
   *
   * @default DEFAULT_MAX_CONCURRENT_REQUESTS (@weft/protocol)
   */
  maxConcurrentRequests?: number
  /**
   * How long (ms) a request body, a half-sent frame or a blocked write may stall.
   *
   * @default DEFAULT_INACTIVITY_TIMEOUT (@weft/protocol)
   */
  inactivityTimeout?: number
  /**
   * A session without requests or traffic this long (ms) is closed.
   *
   * @default DEFAULT_SERVER_IDLE_TIMEOUT (@weft/protocol)
   */
  idleTimeout?: number
  /**
   * @default DEFAULT_BODY_BUFFER_BYTES (@weft/protocol)
   */
  bodyBufferBytes?: number
  /**
   * @default DEFAULT_READ_HIGH_WATER_MARK (@weft/protocol)
   */
  highWaterMark?: number
  /**
   * @default DEFAULT_TEE_BUFFER_BYTES
   */
  teeBufferBytes?: number
  /** Options of the client that forwards chain puts (also `service.client`); its inactivityTimeout defaults to the one above */
  client?: Omit<ChunkClientInit, 'transport'>
}

export interface ChunkServiceStats {
  sessions: number
  peers: number
  activeRequests: number
}

/** Serves `/weft/chunk/1` from the node's store and forwards chain puts. */
export interface ChunkService {
  readonly status: 'stopped' | 'started'
  /**
   * A client over the same libp2p node: what the service forwards with, and
   * the writer side can share. It reaches this node itself too (in memory:
   * libp2p cannot dial itself), so a chain may start or pass here.
   */
  readonly client: ChunkClient
  start(): Promise<void>
  stop(): Promise<void>
  stats(): ChunkServiceStats
}

interface PeerState {
  sessions: number
  requests: number
  limiter: RequestLimiter
}

class DefaultChunkService implements ChunkService {
  status: 'stopped' | 'started' = 'stopped'
  readonly client: ChunkClient
  private readonly components: ChunkServiceComponents
  private readonly init: ChunkServiceInit
  private readonly sessions = new Set<ServerSession>()
  private readonly peers = new Map<string, PeerState>()
  private handler?: ChunkHandler

  constructor (components: ChunkServiceComponents, init: ChunkServiceInit) {
    this.components = components
    this.init = init
    const remote = components.transport ?? libp2pTransport(components.libp2p, { highWaterMark: init.highWaterMark })
    this.client = createChunkClient({
      inactivityTimeout: init.inactivityTimeout,
      ...init.client,
      transport: async (peer, options) => peer.equals(components.libp2p.peerId) ? this.loopback() : remote(peer, options)
    })
  }

  async start (): Promise<void> {
    if (this.status === 'started') {
      return
    }
    const storeHandler = createStoreHandler({
      self: this.components.libp2p.peerId,
      store: this.components.store,
      client: this.client,
      isMember: peer => this.components.isMember?.(peer) === true,
      teeBufferBytes: this.init.teeBufferBytes
    })
    const observer = this.components.observer
    const handler = observer == null ? storeHandler : observeHandler(storeHandler, observer)
    this.handler = handler
    await this.components.libp2p.handle(CHUNK_PROTOCOL, (stream, connection) => {
      this.onStream(stream, connection, handler)
    }, {
      maxInboundStreams: this.init.maxInboundStreams ?? DEFAULT_CHUNK_MAX_INBOUND_STREAMS,
      maxOutboundStreams: this.init.maxOutboundStreams ?? DEFAULT_CHUNK_MAX_OUTBOUND_STREAMS
    })
    this.status = 'started'
  }

  async stop (): Promise<void> {
    if (this.status === 'stopped') {
      return
    }
    this.status = 'stopped'
    await this.components.libp2p.unhandle(CHUNK_PROTOCOL).catch(() => {})
    const closing = [...this.sessions].map(async s => {
      s.abort(new SessionClosedError('chunk service stopping'))
      await s.closed
    })
    await Promise.all(closing)
    await this.client.close()
  }

  stats (): ChunkServiceStats {
    let activeRequests = 0
    for (const s of this.sessions) {
      activeRequests += s.activeRequests
    }
    return { sessions: this.sessions.size, peers: this.peers.size, activeRequests }
  }

  private onStream (stream: Stream, connection: Connection, handler: ChunkHandler): void {
    if (this.status !== 'started') {
      stream.abort(new SessionClosedError('chunk service stopping'))
      return
    }
    this.serve(streamToDuplex(stream, { highWaterMark: this.init.highWaterMark }), connection.remotePeer, handler)
  }

  /** A session with this node's own handler, in memory, under the same limits as any peer's. */
  private loopback (): ByteDuplex {
    const handler = this.handler
    if (this.status !== 'started' || handler == null) {
      throw new PeerUnreachableError('the chunk service of this node is not running')
    }
    const [client, server] = loopbackPair(this.init.highWaterMark ?? DEFAULT_READ_HIGH_WATER_MARK)
    if (!this.serve(server, this.components.libp2p.peerId, handler)) {
      throw new BusyError('too many chunk sessions with this node itself')
    }
    return client
  }

  /** Runs a server session on `duplex`; false (and the transport reset) when the peer has too many. */
  private serve (duplex: ByteDuplex, peer: PeerId, handler: ChunkHandler): boolean {
    const state = this.peerState(peer)
    if (state.sessions >= (this.init.maxSessionsPerPeer ?? DEFAULT_CHUNK_MAX_SESSIONS_PER_PEER)) {
      log('refusing another chunk stream from %p: %d open', peer, state.sessions)
      duplex.abort(new BusyError('too many chunk streams from this peer'))
      this.dropPeerState(peer, state)
      return false
    }
    state.sessions++
    const session = new ServerSession(duplex, {
      handler,
      remotePeer: peer,
      limiter: state.limiter,
      maxConcurrentRequests: this.init.maxConcurrentRequests,
      inactivityTimeout: this.init.inactivityTimeout,
      idleTimeout: this.init.idleTimeout,
      bodyBufferBytes: this.init.bodyBufferBytes,
      log: log.newScope(peer.toString().slice(-8))
    })
    this.sessions.add(session)
    void session.run().finally(() => {
      this.sessions.delete(session)
      state.sessions--
      this.dropPeerState(peer, state)
    })
    return true
  }

  private peerState (peer: PeerId): PeerState {
    const key = peer.toString()
    let state = this.peers.get(key)
    if (state == null) {
      const max = this.init.maxRequestsPerPeer ?? DEFAULT_CHUNK_MAX_REQUESTS_PER_PEER
      const s: PeerState = {
        sessions: 0,
        requests: 0,
        limiter: {
          tryAcquire: () => {
            if (s.requests >= max) {
              return false
            }
            s.requests++
            return true
          },
          release: () => {
            s.requests--
            this.dropPeerState(peer, s)
          }
        }
      }
      state = s
      this.peers.set(key, state)
    }
    return state
  }

  private dropPeerState (peer: PeerId, state: PeerState): void {
    if (state.sessions === 0 && state.requests === 0 && this.peers.get(peer.toString()) === state) {
      this.peers.delete(peer.toString())
    }
  }
}

export function createChunkService (components: ChunkServiceComponents, init: ChunkServiceInit = {}): ChunkService {
  return new DefaultChunkService(components, init)
}
