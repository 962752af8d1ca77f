import { createServer } from 'node:net'
import { TLSSocket } from 'node:tls'
import { logger } from '@libp2p/logger'
import {
  BULK_ALPN, BulkHelloStatus, LentReads, ServerSession, SessionClosedError, authenticateBulkPeer, createBulkIdentity,
  encodeHello, formatBulkAddr, lendReads, socketToDuplex
} from '@weft/protocol'
import { DEFAULT_CHUNK_MAX_REQUESTS_PER_PEER, DEFAULT_CHUNK_MAX_SESSIONS_PER_PEER } from '../chunk/constants.js'
import { Admission } from './admission.js'
import {
  DEFAULT_BULK_HANDSHAKE_TIMEOUT, DEFAULT_BULK_HOST, DEFAULT_BULK_MAX_CONNECTIONS, DEFAULT_BULK_MAX_CONNECTIONS_PER_IP,
  DEFAULT_BULK_MAX_PENDING_HANDSHAKES, DEFAULT_BULK_MAX_PENDING_PER_IP, DEFAULT_BULK_RECHECK_INTERVAL
} from './constants.js'
import { PeerLimits } from './peer-limits.js'
import type { BulkServerInit, BulkServerStats } from './types.js'
import type { PeerId } from '@libp2p/interface'
import type { BulkAddress, BulkIdentity, ChunkHandler } from '@weft/protocol'
import type { AddressInfo, Server, Socket } from 'node:net'

const log = logger('weft:bulk:server')

/** A socket from accept until it closes. */
interface Conn {
  ip: string
  socket: TLSSocket
  pending: boolean
  timer?: ReturnType<typeof setTimeout>
  peer?: PeerId
  session?: ServerSession
}

/**
 * The bulk channel's server: TLS 1.3 on its own TCP port, chunk frames
 * served by a ServerSession per connection. A connection is served only
 * after the peer proved its libp2p peer id (its certificate) and `isAllowed`
 * said yes; until then nothing it sent is read.
 */
export class BulkServer {
  readonly name = 'bulk'
  private readonly init: BulkServerInit
  private readonly handler: ChunkHandler
  private readonly admission: Admission
  private readonly peers: PeerLimits
  private readonly conns = new Set<Conn>()
  private readonly handshakeTimeout: number
  private state: 'stopped' | 'starting' | 'started' | 'stopping' = 'stopped'
  private server?: Server
  private starting?: Promise<void>
  private identity?: BulkIdentity
  private recheck?: ReturnType<typeof setInterval>
  private listening?: BulkAddress
  private readonly counters = { refused: 0, authFailed: 0, notAllowed: 0, busy: 0, timedOut: 0, served: 0 }

  constructor (init: BulkServerInit) {
    this.init = init
    this.handler = init.handler
    this.handshakeTimeout = init.handshakeTimeout ?? DEFAULT_BULK_HANDSHAKE_TIMEOUT
    this.admission = new Admission({
      maxConnections: init.maxConnections ?? DEFAULT_BULK_MAX_CONNECTIONS,
      maxPending: init.maxPendingHandshakes ?? DEFAULT_BULK_MAX_PENDING_HANDSHAKES,
      maxPerIp: init.maxConnectionsPerIp ?? DEFAULT_BULK_MAX_CONNECTIONS_PER_IP,
      maxPendingPerIp: init.maxPendingHandshakesPerIp ?? DEFAULT_BULK_MAX_PENDING_PER_IP
    })
    this.peers = new PeerLimits(
      init.maxSessionsPerPeer ?? DEFAULT_CHUNK_MAX_SESSIONS_PER_PEER,
      init.maxRequestsPerPeer ?? DEFAULT_CHUNK_MAX_REQUESTS_PER_PEER
    )
  }

  get status (): 'stopped' | 'starting' | 'started' | 'stopping' {
    return this.state
  }

  /** Where the server listens, once started. */
  get address (): BulkAddress | undefined {
    return this.listening
  }

  /**
   * What to put in the node record's `bulkAddr`: `init.announce`, else the
   * listen port on `announceHost` or the listen host. Undefined before start,
   * and when listening on a wildcard address with nothing to announce
   * (`0.0.0.0` is nobody's address: better no bulk channel than a wrong one).
   */
  get bulkAddr (): string | undefined {
    if (this.listening == null) {
      return undefined
    }
    if (this.init.announce != null) {
      return this.init.announce
    }
    const host = this.init.announceHost ?? this.listening.host
    if (host === '0.0.0.0' || host === '::') {
      return undefined
    }
    return formatBulkAddr({ host, port: this.listening.port })
  }

  stats (): BulkServerStats {
    let sessions = 0
    let activeRequests = 0
    for (const c of this.conns) {
      if (c.session != null) {
        sessions++
        activeRequests += c.session.activeRequests
      }
    }
    return { connections: this.admission.connections, pending: this.admission.pending, sessions, peers: this.peers.size, activeRequests, ...this.counters }
  }

  async start (): Promise<void> {
    if (this.state !== 'stopped') {
      await this.starting
      return
    }
    this.state = 'starting'
    this.starting = this.listen()
    await this.starting
  }

  private async listen (): Promise<void> {
    try {
      this.identity = await createBulkIdentity(this.init.privateKey)
      const server = createServer({ allowHalfOpen: true }, raw => { this.onConnection(raw) })
      // the kernel's accept queue is the only thing ahead of this limit
      server.maxConnections = this.init.maxConnections ?? DEFAULT_BULK_MAX_CONNECTIONS
      server.on('drop', () => { this.counters.refused++ })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.init.port ?? 0, this.init.host ?? DEFAULT_BULK_HOST, () => {
          server.off('error', reject)
          resolve()
        })
      })
      server.on('error', err => { log.error('bulk server error - %e', err) })
      const address = server.address() as AddressInfo
      this.listening = { host: address.address, port: address.port }
      this.server = server
      this.recheck = setInterval(() => { this.recheckAllowed() }, this.init.recheckInterval ?? DEFAULT_BULK_RECHECK_INTERVAL)
      this.recheck.unref?.()
      this.state = 'started'
      log('bulk channel listening on %s:%d', address.address, address.port)
    } catch (err) {
      this.state = 'stopped'
      throw err
    }
  }

  /** Close the port, every connection and session. Idempotent. */
  async stop (): Promise<void> {
    if (this.state === 'starting') {
      await this.starting?.catch(() => {})
    }
    if (this.state !== 'started') {
      return
    }
    this.state = 'stopping'
    clearInterval(this.recheck)
    const server = this.server
    this.server = undefined
    const closed = server == null ? Promise.resolve() : new Promise<void>(resolve => { server.close(() => { resolve() }) })
    const sessions: Array<Promise<void>> = []
    for (const c of [...this.conns]) {
      if (c.session != null) {
        sessions.push(c.session.closed)
        c.session.abort(new SessionClosedError('bulk server stopping'))
      }
      this.drop(c)
    }
    await Promise.all(sessions)
    await closed
    this.listening = undefined
    this.state = 'stopped'
  }

  private onConnection (raw: Socket): void {
    const ip = raw.remoteAddress ?? 'unknown'
    const refused = this.state !== 'started' || this.identity == null ? 'stopping' : this.admission.admit(ip)
    if (refused != null) {
      this.counters.refused++
      log.trace('refusing a connection from %s: %s', ip, refused)
      raw.destroy()
      return
    }
    raw.setNoDelay(true)
    const socket = new TLSSocket(raw, {
      isServer: true,
      secureContext: this.identity?.context,
      requestCert: true,
      // verifyPeerCertificate (authenticateBulkPeer) replaces CA validation; it is never skipped
      rejectUnauthorized: false,
      ALPNProtocols: [BULK_ALPN]
    })
    const conn: Conn = { ip, socket, pending: true }
    this.conns.add(conn)
    conn.timer = setTimeout(() => {
      this.counters.timedOut++
      log('closing a connection from %s: no verified handshake within %d ms', ip, this.handshakeTimeout)
      this.drop(conn)
    }, this.handshakeTimeout)
    socket.on('error', (err: Error) => {
      log.trace('bulk connection from %s failed - %e', ip, err)
      this.drop(conn)
    })
    socket.once('close', () => { this.drop(conn) })
    socket.once('secure', () => {
      // nothing the peer sends is read before it is verified and allowed
      socket.pause()
      void this.admit(conn)
    })
  }

  private async admit (conn: Conn): Promise<void> {
    const { socket, ip } = conn
    let peer: PeerId
    try {
      peer = await authenticateBulkPeer(socket)
    } catch (err) {
      if (!socket.destroyed) {
        this.counters.authFailed++
        log('refusing a bulk connection from %s - %e', ip, err)
      }
      this.drop(conn)
      return
    }
    if (socket.destroyed || this.state !== 'started') {
      this.drop(conn)
      return
    }
    conn.peer = peer
    if (!this.isAllowed(peer)) {
      this.counters.notAllowed++
      log('refusing bulk connection from %p at %s: not a peer this node serves', peer, ip)
      this.refuse(conn, BulkHelloStatus.NOT_ALLOWED)
      return
    }
    const slot = this.peers.openSession(peer)
    if (slot == null) {
      this.counters.busy++
      log('refusing bulk connection from %p: all its sessions are open', peer)
      this.refuse(conn, BulkHelloStatus.BUSY)
      return
    }
    clearTimeout(conn.timer)
    conn.pending = false
    this.admission.established(ip)
    this.counters.served++
    socket.write(encodeHello(BulkHelloStatus.READY))
    // read into one reused buffer (no Buffer per TLS record) where node lets us
    const reads = new LentReads(() => { socket.destroy() })
    const lent = this.init.lendReads !== false && lendReads(socket, reads)
    const session = new ServerSession(socketToDuplex(socket, {
      readHighWaterMark: this.init.readHighWaterMark,
      writeHighWaterMark: this.init.writeHighWaterMark,
      reads: lent ? reads : undefined
    }), {
      handler: this.handler,
      remotePeer: peer,
      limiter: slot.limiter,
      maxConcurrentRequests: this.init.maxConcurrentRequests,
      inactivityTimeout: this.init.inactivityTimeout,
      idleTimeout: this.init.idleTimeout,
      bodyBufferBytes: this.init.bodyBufferBytes,
      log: log.newScope(peer.toString().slice(-8))
    })
    conn.session = session
    void session.run().finally(() => {
      slot.release()
      this.drop(conn)
    })
  }

  /** Tell a verified peer why it is not served, then close (the handshake timer bounds a peer that does not). */
  private refuse (conn: Conn, status: BulkHelloStatus): void {
    conn.socket.end(encodeHello(status))
  }

  private isAllowed (peer: PeerId): boolean {
    try {
      return this.init.isAllowed(peer)
    } catch (err) {
      log.error('isAllowed failed for %p - %e', peer, err)
      return false
    }
  }

  /** Close sessions of peers no longer allowed once they have nothing running. */
  private recheckAllowed (): void {
    for (const c of this.conns) {
      if (c.session != null && c.peer != null && c.session.activeRequests === 0 && !this.isAllowed(c.peer)) {
        log('closing bulk session of %p: no longer allowed', c.peer)
        c.session.abort(new SessionClosedError('peer is no longer allowed'))
      }
    }
  }

  private drop (conn: Conn): void {
    if (!this.conns.delete(conn)) {
      return
    }
    clearTimeout(conn.timer)
    this.admission.release(conn.ip, conn.pending)
    conn.socket.destroy()
  }
}

export function createBulkServer (init: BulkServerInit): BulkServer {
  if (typeof init.isAllowed !== 'function') {
    throw new TypeError('createBulkServer needs isAllowed(peer): the bulk port must not serve strangers')
  }
  return new BulkServer(init)
}
