import { createServer } from 'node:net'
import { TLSSocket } from 'node:tls'
import { BULK_ALPN } from '../../src/bulk/constants.js'
import { BulkHelloStatus, encodeHello } from '../../src/bulk/hello.js'
import { socketToDuplex } from '../../src/bulk/socket-duplex.js'
import { authenticateBulkPeer } from '../../src/bulk/tls.js'
import { ServerSession } from '../../src/chunk/server-session.js'
import type { BulkAddress } from '../../src/bulk/addr.js'
import type { BulkIdentity } from '../../src/bulk/tls.js'
import type { ChunkHandler } from '../../src/chunk/server-session.js'
import type { PeerId } from '@libp2p/interface'
import type { AddressInfo, Socket } from 'node:net'

export interface TestBulkServerInit {
  identity: BulkIdentity
  handler: ChunkHandler
  /** Status to greet with; READY serves frames */
  status?: BulkHelloStatus
  /** Do not greet at all (a server that hangs after TLS) */
  silent?: boolean
  /** Offer this ALPN instead of the bulk one */
  alpn?: string[]
}

export interface TestBulkServer {
  address: BulkAddress
  /** Peers verified so far, in order */
  peers: PeerId[]
  /** Raw TCP connections accepted */
  accepted: number
  close(): Promise<void>
}

/**
 * The smallest server side of the bulk channel, built from the protocol
 * package's parts only (the real one is @weft/node's createBulkServer): TLS
 * 1.3, verify the client, greet, serve one ServerSession per connection.
 */
export async function startTestBulkServer (init: TestBulkServerInit): Promise<TestBulkServer> {
  const sockets = new Set<Socket>()
  const sessions = new Set<ServerSession>()
  const state: TestBulkServer = {
    address: { host: '127.0.0.1', port: 0 },
    peers: [],
    accepted: 0,
    close: async () => {
      for (const s of sessions) {
        s.abort(new Error('test server closing'))
      }
      for (const s of sockets) {
        s.destroy()
      }
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
  const server = createServer({ allowHalfOpen: true }, raw => {
    state.accepted++
    sockets.add(raw)
    raw.on('close', () => sockets.delete(raw))
    const socket = new TLSSocket(raw, {
      isServer: true,
      secureContext: init.identity.context,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: init.alpn ?? [BULK_ALPN]
    })
    socket.on('error', () => { socket.destroy() })
    socket.once('secure', () => {
      socket.pause()
      authenticateBulkPeer(socket).then(peer => {
        state.peers.push(peer)
        if (init.silent === true) {
          return
        }
        const status = init.status ?? BulkHelloStatus.READY
        if (status !== BulkHelloStatus.READY) {
          socket.end(encodeHello(status))
          return
        }
        socket.write(encodeHello(status))
        const session = new ServerSession(socketToDuplex(socket), { handler: init.handler, remotePeer: peer })
        sessions.add(session)
        void session.run().finally(() => {
          sessions.delete(session)
          socket.destroy()
        })
      }, () => { socket.destroy() })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  state.address = { host: '127.0.0.1', port: (server.address() as AddressInfo).port }
  return state
}

/** A TCP port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  return port
}
