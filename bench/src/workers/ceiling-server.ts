import '@weft/protocol/polyfill'
import net from 'node:net'
import tls from 'node:tls'
import { failWorker, serveWorker } from '../harness/worker-io.js'
import { CEILING_PROTOCOL, CeilingSession } from './ceiling-wire.js'
import type * as Transports from './ceiling-transports.js'
import type { Libp2p, Stream } from '@libp2p/interface'

/**
 * The receiving end of the `ceiling` measurements, one process per transport:
 * `node ceiling-server.js tcp|tls|libp2p [expectedClientPeerId]`.
 * Hello: `{ ready, transport, port, peerId?, multiaddr? }`.
 * Command `{ op: 'usage' }` answers this process's CPU time, so the parent can
 * charge receiver CPU per byte.
 */

type Transport = 'tcp' | 'tls' | 'libp2p'

/** Feeds a net/tls socket into a session, pausing reads while replies back up. */
function serveSocket (socket: net.Socket): void {
  socket.setNoDelay(true)
  socket.on('error', () => { socket.destroy() })
  let waiting = false
  const session = new CeilingSession(buf => { socket.write(buf) })
  socket.on('data', (chunk: Buffer) => {
    try {
      session.onData(chunk)
    } catch (err) {
      socket.destroy(err as Error)
      return
    }
    if (socket.writableNeedDrain && !waiting) {
      waiting = true
      socket.pause()
      socket.once('drain', () => { waiting = false; socket.resume() })
    }
  })
}

function serveStream (stream: Stream, streamDrain: typeof Transports.streamDrain): void {
  let waiting = false
  const session = new CeilingSession(buf => { stream.send(buf) })
  stream.addEventListener('message', evt => {
    try {
      session.onData(evt.data)
    } catch (err) {
      stream.abort(err as Error)
      return
    }
    if (stream.writableNeedsDrain && !waiting) {
      waiting = true
      // a pause inside a 'message' handler is undone when it returns (LIBP2P-NOTES)
      queueMicrotask(() => { stream.pause() })
      streamDrain(stream).then(() => { waiting = false; stream.resume() }, () => {})
    }
  })
  stream.addEventListener('remoteCloseWrite', () => { stream.close().catch(() => {}) })
}

async function listen (server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  return (server.address() as net.AddressInfo).port
}

async function main (): Promise<void> {
  const transport = process.argv[2] as Transport
  const usage = async (): Promise<unknown> => ({ cpuUsage: process.cpuUsage(), maxRssKiB: process.resourceUsage().maxRSS })
  if (transport === 'tcp') {
    const server = net.createServer(serveSocket)
    const port = await listen(server)
    serveWorker({
      hello: { ready: true, transport, port },
      onCommand: usage,
      onShutdown: async () => { server.close() }
    })
  } else if (transport === 'tls') {
    const { TLS_CIPHERSUITES, createIdentity, verifyTlsPeer } = await import('./ceiling-transports.js')
    const expected = process.argv[3]
    const id = await createIdentity()
    const server = tls.createServer({
      cert: id.cert,
      key: id.key,
      minVersion: 'TLSv1.3',
      ciphers: TLS_CIPHERSUITES,
      requestCert: true,
      // the peer-id check in verifyTlsPeer replaces CA validation
      rejectUnauthorized: false
    }, socket => {
      // no 'data' listener until the client proved its peer id, so nothing is read before
      verifyTlsPeer(socket, expected).then(() => { serveSocket(socket) }, () => { socket.destroy() })
    })
    server.on('tlsClientError', () => {})
    const port = await listen(server)
    serveWorker({
      hello: { ready: true, transport, port, peerId: id.peerId.toString() },
      onCommand: usage,
      onShutdown: async () => { server.close() }
    })
  } else if (transport === 'libp2p') {
    const { createBenchLibp2p, createIdentity, pskFromEnv, streamDrain } = await import('./ceiling-transports.js')
    const id = await createIdentity()
    const node: Libp2p = await createBenchLibp2p({ privateKey: id.privateKey, psk: pskFromEnv(), listen: true })
    await node.handle(CEILING_PROTOCOL, stream => { serveStream(stream, streamDrain) }, { maxInboundStreams: 64 })
    const addr = node.getMultiaddrs()[0]
    if (addr == null) throw new Error('libp2p node has no listen address')
    serveWorker({
      hello: { ready: true, transport, port: Number(/\/tcp\/(\d+)/.exec(addr.toString())?.[1] ?? 0), peerId: id.peerId.toString(), multiaddr: addr.toString() },
      onCommand: usage,
      onShutdown: async () => { await node.stop() }
    })
  } else {
    throw new Error(`unknown transport "${String(transport)}" (tcp, tls, libp2p)`)
  }
}

main().catch(failWorker)
