import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { BULK_ALPN, BULK_HELLO_LENGTH, bulkTransport, createChunkClient, decodeHello } from '@weft/protocol'
import { createLibp2p } from 'libp2p'
import { createBulkServer } from '../../src/bulk/index.js'
import { createChunkService, createStoreHandler } from '../../src/chunk/index.js'
import { openChunkStore } from '../../src/store/index.js'
import type { BulkServer, BulkServerInit } from '../../src/bulk/index.js'
import type { ChunkService } from '../../src/chunk/index.js'
import type { ChunkStore } from '../../src/store/index.js'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { BulkAddress, BulkHelloStatus, ChunkClient, ChunkHandler } from '@weft/protocol'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'

export interface BulkTestNode {
  privateKey: PrivateKey
  peerId: PeerId
  store: ChunkStore
  server: BulkServer
  address: BulkAddress
  /** Handler calls so far (any method) */
  calls: number
  /** Bytes get() bodies have handed to sessions so far */
  produced: number
  /** The client this node forwards chain puts with (over the bulk channel) */
  forwarder: ChunkClient
  stop(): Promise<void>
}

export interface BulkTestNodeInit extends Partial<Omit<BulkServerInit, 'privateKey' | 'handler'>> {
  /** Where this node's forwarder finds other nodes' bulk addresses */
  directory?: Map<string, BulkAddress>
}

/** A chunk store in a temp dir served by a bulk server (no libp2p at all). */
export async function startBulkNode (init: BulkTestNodeInit = {}): Promise<BulkTestNode> {
  const privateKey = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(privateKey)
  const dir = await mkdtemp(join(tmpdir(), 'weft-bulk-'))
  const store = await openChunkStore({ dir })
  const forwarder = createChunkClient({
    transport: bulkTransport({ privateKey, resolve: peer => init.directory?.get(peer.toString()) })
  })
  const storeHandler = createStoreHandler({ self: peerId, store, client: forwarder, isMember: () => true })
  const node = { privateKey, peerId, store, forwarder, calls: 0, produced: 0 } as unknown as BulkTestNode
  const handler: ChunkHandler = {
    put: async (req, body, ctx) => { node.calls++; return storeHandler.put(req, body, ctx) },
    get: async (req, ctx) => {
      node.calls++
      const answer = await storeHandler.get(req, ctx)
      return { head: answer.head, data: counted(answer.data, n => { node.produced += n }) }
    },
    has: async (cids, ctx) => { node.calls++; return storeHandler.has(cids, ctx) },
    stat: async (cid, ctx) => { node.calls++; return storeHandler.stat(cid, ctx) },
    delete: async (cid, ctx) => { node.calls++; return storeHandler.delete(cid, ctx) }
  }
  const server = createBulkServer({ isAllowed: () => true, ...init, privateKey, handler })
  await server.start()
  node.server = server
  node.address = server.address!
  init.directory?.set(peerId.toString(), node.address)
  let stopped = false
  node.stop = async () => {
    if (stopped) {
      return
    }
    stopped = true
    await forwarder.close()
    await server.stop()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
  return node
}

async function * counted (source: AsyncIterable<Uint8Array>, add: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const buf of source) {
    add(buf.byteLength)
    yield buf
  }
}

export interface RawClientInit {
  address: BulkAddress
  /** PEM certificate and key; none: present no certificate */
  cert?: string
  key?: string
  alpn?: string[]
  localAddress?: string
}

/** A TLS client driven by hand (the hostile side): resolves once TLS is done. */
export async function rawTlsClient (init: RawClientInit): Promise<TLSSocket> {
  const options = {
    host: init.address.host,
    port: init.address.port,
    cert: init.cert,
    key: init.key,
    localAddress: init.localAddress,
    minVersion: 'TLSv1.3' as const,
    maxVersion: 'TLSv1.3' as const,
    ALPNProtocols: init.alpn ?? [BULK_ALPN],
    rejectUnauthorized: false,
    allowHalfOpen: true
  }
  const socket = connect(options)
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve)
    socket.once('error', reject)
  })
  return socket
}

export interface SocketOutcome {
  /** Every byte the server sent */
  received: Buffer
  /** Set when the socket ended with an error */
  error?: Error
}

/** Read a socket until the server ends or closes it (then close our side too). */
export async function untilClosed (socket: TLSSocket | Socket): Promise<SocketOutcome> {
  const parts: Buffer[] = []
  let error: Error | undefined
  socket.on('data', (buf: Buffer) => parts.push(buf))
  socket.on('error', (err: Error) => { error = err })
  socket.resume()
  if (!socket.closed && !socket.readableEnded) {
    await new Promise<void>(resolve => {
      socket.once('end', () => { resolve() })
      socket.once('close', () => { resolve() })
    })
  }
  socket.destroy()
  return { received: Buffer.concat(parts), error }
}

/** Wait for the 8-byte hello on a raw client socket. */
export async function readHello (socket: TLSSocket): Promise<BulkHelloStatus> {
  const parts: Buffer[] = []
  let got = 0
  return new Promise((resolve, reject) => {
    const onData = (buf: Buffer): void => {
      parts.push(buf)
      got += buf.byteLength
      if (got >= BULK_HELLO_LENGTH) {
        socket.off('data', onData)
        socket.pause()
        try {
          resolve(decodeHello(Buffer.concat(parts).subarray(0, BULK_HELLO_LENGTH)))
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)))
        }
      }
    }
    socket.on('data', onData)
    socket.once('close', () => { reject(new Error('closed before the hello')) })
  })
}

export async function waitFor (check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) {
      throw new Error('condition not met in time')
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

export interface MeshHost {
  privateKey: PrivateKey
  host: Libp2p
}

/** A libp2p host as a node runs it (pnet, Noise, bounded yamux), with its key at hand for the bulk channel. */
export async function createMeshHost (psk: Uint8Array): Promise<MeshHost> {
  const privateKey = await generateKeyPair('Ed25519')
  const host = await createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      streamOptions: { maxStreamWindowSize: 4 * 1024 * 1024, maxReadBufferLength: 4 * 1024 * 1024, maxWriteBufferLength: 8 * 1024 * 1024 }
    })],
    connectionProtector: preSharedKey({ psk }),
    connectionManager: { inboundConnectionThreshold: 1000 }
  })
  return { privateKey, host }
}

export interface MeshNode extends MeshHost {
  peerId: PeerId
  store: ChunkStore
  service: ChunkService
  stop(): Promise<void>
}

/** A mesh host with a real store and the libp2p chunk service (the bulk server is added by the test). */
export async function createMeshNode (psk: Uint8Array): Promise<MeshNode> {
  const { privateKey, host } = await createMeshHost(psk)
  const dir = await mkdtemp(join(tmpdir(), 'weft-bulk-mesh-'))
  const store = await openChunkStore({ dir })
  const service = createChunkService({ libp2p: host, store })
  await service.start()
  return {
    privateKey,
    host,
    peerId: host.peerId,
    store,
    service,
    async stop () {
      await service.stop()
      await host.stop()
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
