import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { ChunkHandler } from '@weft/protocol'

/** Bounds on what the bulk port accepts; sessions get the chunk service's per-peer limits. */
export interface BulkServerLimits {
  /**
   * Sockets open at once (in handshake or serving).
   *
   * @default DEFAULT_BULK_MAX_CONNECTIONS
   */
  maxConnections?: number
  /**
   * Sockets in their handshake at once.
   *
   * @default DEFAULT_BULK_MAX_PENDING_HANDSHAKES
   */
  maxPendingHandshakes?: number
  /**
   * @default DEFAULT_BULK_MAX_CONNECTIONS_PER_IP
   */
  maxConnectionsPerIp?: number
  /**
   * @default DEFAULT_BULK_MAX_PENDING_PER_IP
   */
  maxPendingHandshakesPerIp?: number
  /**
   * Time (ms) from accept until the peer is verified and greeted.
   *
   * @default DEFAULT_BULK_HANDSHAKE_TIMEOUT
   */
  handshakeTimeout?: number
  /**
   * Open sessions (connections) per peer; more are refused with BUSY.
   *
   * @default DEFAULT_CHUNK_MAX_SESSIONS_PER_PEER
   */
  maxSessionsPerPeer?: number
  /**
   * Running requests per peer over all its bulk sessions; more get ERR_BUSY.
   *
   * @default DEFAULT_CHUNK_MAX_REQUESTS_PER_PEER
   */
  maxRequestsPerPeer?: number
  /**
   * @default DEFAULT_MAX_CONCURRENT_REQUESTS (@weft/protocol)
   */
  maxConcurrentRequests?: number
  /**
   * @default DEFAULT_INACTIVITY_TIMEOUT (@weft/protocol)
   */
  inactivityTimeout?: number
  /**
   * @default DEFAULT_SERVER_IDLE_TIMEOUT (@weft/protocol)
   */
  idleTimeout?: number
  /**
   * @default DEFAULT_BODY_BUFFER_BYTES (@weft/protocol)
   */
  bodyBufferBytes?: number
  /**
   * @default DEFAULT_BULK_READ_HIGH_WATER_MARK (@weft/protocol)
   */
  readHighWaterMark?: number
  /**
   * @default DEFAULT_BULK_WRITE_HIGH_WATER_MARK (@weft/protocol)
   */
  writeHighWaterMark?: number
  /**
   * Read each connection into one reused buffer (node's `onread` mechanism,
   * applied to the accepted socket), copying every byte once into whole
   * frames, instead of a new Buffer per TLS record. About half the receive
   * CPU per byte; false uses the plain 'data' path.
   *
   * @default true
   */
  lendReads?: boolean
  /**
   * How often (ms) open sessions are checked against isAllowed again.
   *
   * @default DEFAULT_BULK_RECHECK_INTERVAL
   */
  recheckInterval?: number
}

export interface BulkServerInit extends BulkServerLimits {
  /** This node's libp2p key: its TLS certificate is bound to it */
  privateKey: PrivateKey
  /**
   * @default DEFAULT_BULK_HOST
   */
  host?: string
  /**
   * @default 0 (any free port)
   */
  port?: number
  /** The bulk address to announce instead of the listen address (NAT, port forwarding) */
  announce?: string
  /** The host to announce with the listen port (when listening on a wildcard address) */
  announceHost?: string
  /** Serves the requests (the node's store handler, the same one libp2p streams use) */
  handler: ChunkHandler
  /**
   * Whether to serve a verified peer: a mesh member, or a peer connected to
   * this node over the mesh-key-protected libp2p host. Checked when it
   * connects and every `recheckInterval`.
   */
  isAllowed(peer: PeerId): boolean
}

export interface BulkServerStats {
  /** sockets open (in handshake or serving) */
  connections: number
  /** sockets in their handshake */
  pending: number
  sessions: number
  peers: number
  activeRequests: number
  /** connections closed at accept (limits, stopping) */
  refused: number
  /** handshakes whose certificate or TLS parameters failed the check */
  authFailed: number
  /** verified peers refused by isAllowed */
  notAllowed: number
  /** verified peers refused for having all their sessions open */
  busy: number
  /** connections closed for not finishing the handshake in time */
  timedOut: number
  /** connections served so far */
  served: number
}
