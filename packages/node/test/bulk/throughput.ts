/**
 * Not a spec: a by-hand measurement of one 4 MiB-chunk GET stream over the
 * bulk channel, beside raw TLS 1.3 and the libp2p chunk GET, in the same run
 * and topology (server in a worker thread, client in the main thread, so
 * each side has its own core). The chunk is served from memory, so the
 * figures are the transports', not the disk's.
 *
 *   node packages/node/dist/test/bulk/throughput.js [--mib 512] [--runs 3] [--depth 1] [--only <path name part>]
 *
 * Prints MB/s (1 MB = 1e6 bytes), median of the runs, per path.
 */
import '@weft/protocol/polyfill'
import { connect, createServer } from 'node:tls'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import {
  BULK_TLS_OPTIONS, authenticateBulkPeer, bulkTransport, createBulkIdentity, createChunkClient, libp2pTransport
} from '@weft/protocol'
import { createBulkServer } from '../../src/bulk/index.js'
import { createChunkService, createStoreHandler } from '../../src/chunk/index.js'
import { bytesOf, cidOf } from '../chunk/hosts.js'
import { createMeshHost } from './fixtures.js'
import type { ChunkStoreView } from '../../src/chunk/index.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { ChunkClient, ChunkStat } from '@weft/protocol'
import type { AddressInfo } from 'node:net'
import type { CID } from 'multiformats/cid'

const CHUNK = 4 * 1024 * 1024
const SLICE = 256 * 1024

interface Hello { tlsPort: number, bulkAddr: string, peerId: string, libp2pAddr: string, psk: string, clientKey: string }

/** A store view over one chunk held in memory. */
function memoryStore (cid: CID, bytes: Uint8Array): ChunkStoreView {
  const stat: ChunkStat = { size: bytes.byteLength, partition: 0, storedAt: Date.now() }
  return {
    put: async () => ({ size: bytes.byteLength, existed: true }),
    async * get (_c: CID, options: { offset?: number, length?: number } & AbortOptions = {}) {
      const offset = options.offset ?? 0
      const end = offset + (options.length ?? bytes.byteLength - offset)
      for (let i = offset; i < end; i += SLICE) {
        yield bytes.subarray(i, Math.min(i + SLICE, end))
      }
    },
    has: async (cids) => cids.map(c => c.equals(cid)),
    stat: async (c) => c.equals(cid) ? stat : undefined,
    delete: async () => false
  }
}

async function server (): Promise<void> {
  const psk = new Uint8Array(95)
  generateKey(psk)
  const { privateKey, host } = await createMeshHost(psk)
  const clientKey = await generateKeyPair('Ed25519')
  const bytes = bytesOf(CHUNK, 42)
  const cid = await cidOf(bytes)
  const store = memoryStore(cid, bytes)
  const service = createChunkService({ libp2p: host, store })
  await service.start()
  const bulk = createBulkServer({
    privateKey,
    handler: createStoreHandler({ self: host.peerId, store, client: service.client }),
    isAllowed: () => true
  })
  await bulk.start()

  // raw TLS: the client sends 8 bytes (how many bytes it wants), the server streams them in 256 KiB writes
  const identity = await createBulkIdentity(privateKey)
  const tls = createServer({ cert: identity.cert, key: identity.key, requestCert: true, rejectUnauthorized: false, ...BULK_TLS_OPTIONS, ALPNProtocols: [...BULK_TLS_OPTIONS.ALPNProtocols] }, socket => {
    socket.once('data', (req: Buffer) => {
      void (async () => {
        await authenticateBulkPeer(socket)
        let left = Number(req.readBigUInt64BE(0))
        const slice = bytes.subarray(0, SLICE)
        while (left > 0) {
          const n = Math.min(left, SLICE)
          left -= n
          if (!socket.write(n === SLICE ? slice : slice.subarray(0, n))) {
            await new Promise(resolve => socket.once('drain', resolve))
          }
        }
      })().catch(() => { socket.destroy() })
    })
    socket.on('error', () => {})
  })
  await new Promise<void>(resolve => tls.listen(0, '127.0.0.1', resolve))
  const hello: Hello = {
    tlsPort: (tls.address() as AddressInfo).port,
    bulkAddr: bulk.bulkAddr!,
    peerId: host.peerId.toString(),
    libp2pAddr: host.getMultiaddrs()[0]!.toString(),
    psk: Buffer.from(psk).toString('base64'),
    clientKey: Buffer.from(privateKeyToProtobuf(clientKey)).toString('base64')
  }
  parentPort!.postMessage(hello)
  parentPort!.once('message', () => {
    void (async () => {
      tls.close()
      await bulk.stop()
      await service.stop()
      await host.stop()
      parentPort!.postMessage('stopped')
    })()
  })
}

async function rawTls (hello: Hello, peer: PeerId, total: number): Promise<number> {
  const clientKey = privateKeyFromProtobuf(Buffer.from(hello.clientKey, 'base64'))
  const identity = await createBulkIdentity(clientKey)
  const socket = connect({ host: '127.0.0.1', port: hello.tlsPort, secureContext: identity.context, rejectUnauthorized: false, checkServerIdentity: () => undefined, ...BULK_TLS_OPTIONS, ALPNProtocols: [...BULK_TLS_OPTIONS.ALPNProtocols] })
  await new Promise(resolve => socket.once('secureConnect', resolve))
  await authenticateBulkPeer(socket, peer)
  const req = Buffer.alloc(8)
  req.writeBigUInt64BE(BigInt(total))
  const started = performance.now()
  socket.write(req)
  let got = 0
  await new Promise<void>(resolve => {
    socket.on('data', (b: Buffer) => {
      got += b.byteLength
      if (got >= total) {
        resolve()
      }
    })
  })
  const seconds = (performance.now() - started) / 1000
  socket.destroy()
  return total / seconds / 1e6
}

async function getStream (client: ChunkClient, peer: PeerId, cid: CID, total: number, depth: number, verify: boolean): Promise<number> {
  // warm the pool (connection and TLS) outside the timing
  for await (const _ of client.get(peer, cid, { verify })) { /* drain */ }
  const count = Math.ceil(total / CHUNK)
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: depth }, async () => {
    while (next < count) {
      next++
      let n = 0
      for await (const buf of client.get(peer, cid, { verify })) {
        n += buf.byteLength
      }
      if (n !== CHUNK) {
        throw new Error(`short read: ${n}`)
      }
    }
  }))
  const seconds = (performance.now() - started) / 1000
  return count * CHUNK / seconds / 1e6
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? 0
}

async function main (): Promise<void> {
  const arg = (name: string, def: number): number => {
    const i = process.argv.indexOf(`--${name}`)
    return i >= 0 ? Number(process.argv[i + 1]) : def
  }
  let total = arg('mib', 512) * 1024 * 1024
  const runs = arg('runs', 3)
  const depth = arg('depth', 1)
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'server' } })
  const hello = await new Promise<Hello>(resolve => worker.once('message', resolve))
  const peer = peerIdFromString(hello.peerId)
  const clientKey = privateKeyFromProtobuf(Buffer.from(hello.clientKey, 'base64'))
  const psk = new Uint8Array(Buffer.from(hello.psk, 'base64'))
  const { host } = await createMeshHost(psk)
  await host.dial(multiaddr(hello.libp2pAddr))
  const cid = await cidOf(bytesOf(CHUNK, 42))
  const bulk = createChunkClient({ transport: bulkTransport({ privateKey: clientKey, resolve: () => hello.bulkAddr }), maxStreamsPerPeer: 1 })
  const p2p = createChunkClient({ transport: libp2pTransport(host), maxStreamsPerPeer: 1 })

  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] ?? '' : ''
  const paths: Record<string, () => Promise<number>> = {
    'raw TLS 1.3 (256 KiB writes)': async () => rawTls(hello, peer, total),
    'bulk channel GET': async () => getStream(bulk, peer, cid, total, depth, false),
    'bulk channel GET, sha256 verified': async () => getStream(bulk, peer, cid, total, depth, true),
    'libp2p chunk GET': async () => getStream(p2p, peer, cid, total, depth, false)
  }
  // an exact name picks one path, anything else those whose name contains it
  const wanted = (name: string): boolean => only in paths ? name === only : name.includes(only)
  const results: Record<string, number[]> = {}
  const cpu: Record<string, number[]> = {}
  // a first pass of each path, not counted: JIT and heap sizing made every first run slow
  const measured = total
  total = Math.min(total, 64 * 1024 * 1024)
  for (const [name, run] of Object.entries(paths)) {
    if (wanted(name)) {
      await run()
    }
  }
  total = measured
  for (let r = 0; r < runs; r++) {
    // interleaved, so a burst of load from elsewhere hits every path alike
    for (const [name, run] of Object.entries(paths)) {
      if (wanted(name)) {
        const before = process.cpuUsage()
        ;(results[name] ??= []).push(await run())
        const used = process.cpuUsage(before)
        // both threads (client and server) are this process: CPU seconds per GB moved, which load elsewhere barely moves
        ;(cpu[name] ??= []).push((used.user + used.system) / 1e6 / (total / 1e9))
      }
    }
  }
  console.log(`| path (${total / 1024 / 1024} MiB per run, ${runs} runs, ${depth} GET(s) in flight) | MB/s median | runs | CPU s/GB (both ends) |`)
  console.log('| --- | --- | --- | --- |')
  for (const [name, xs] of Object.entries(results)) {
    console.log(`| ${name} | ${median(xs).toFixed(0)} | ${xs.map(x => x.toFixed(0)).join(', ')} | ${median(cpu[name] ?? []).toFixed(2)} |`)
  }
  await bulk.close()
  await p2p.close()
  await host.stop()
  worker.postMessage('stop')
  await new Promise(resolve => worker.once('message', resolve))
  await worker.terminate()
}

if (isMainThread) {
  await main()
} else if ((workerData as { role?: string }).role === 'server') {
  await server()
}
