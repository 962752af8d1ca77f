import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { generateMeshKey } from '@weft/node'
import { bulkTransport, createChunkClient } from '@weft/protocol'
import { createLibp2p } from 'libp2p'
import { randomChunk } from './chunks-helpers.js'
import { sleep } from './membership-helpers.js'
import type { Chunk } from './chunks-helpers.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { ChunkClient } from '@weft/protocol'
import type { ChildProcess } from 'node:child_process'
import type { Interface } from 'node:readline'

/**
 * Short enough that a node whose event loop stalls for about a second (its
 * heartbeats not sent, or others' not read) is suspected.
 */
const TIMINGS = { heartbeatMs: 200, suspectAfterMs: 1200, downAfterMs: 3000, outAfterMs: 60_000 }
const MiB = 1024 * 1024

interface Hello { peerId: string, addrs: string[], bulkAddr?: string }

interface Report {
  liveness: Record<string, string>
  maxSilenceMs: Record<string, number>
  samples: number
  busySamples: number
  baseRssBytes: number
  peakRssBytes: number
  peakArrayBufferBytes: number
  loopDelayMaxMs: number
  bulk?: { served: number, activeRequests: number }
}

interface MembershipEvent { event: string, peer: string, at: number }

/** A node process (fixtures/observed-node) and the lines it prints. */
class ObservedNode {
  readonly events: MembershipEvent[] = []
  private readonly replies: Array<(reply: unknown) => void> = []

  constructor (readonly proc: ChildProcess, readonly hello: Hello, lines: Interface) {
    lines.on('line', line => {
      const msg = JSON.parse(line) as { reply?: unknown, event?: string }
      if (msg.event != null) this.events.push(msg as MembershipEvent)
      else if ('reply' in msg) this.replies.shift()?.(msg.reply)
    })
  }

  get peerId (): PeerId {
    return peerIdFromString(this.hello.peerId)
  }

  async request<T> (op: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`no reply to ${op} within 20 s`)) }, 20_000)
      this.replies.push(reply => {
        clearTimeout(timer)
        resolve(reply as T)
      })
      this.proc.stdin?.write(JSON.stringify({ op }) + '\n')
    })
  }
}

/** A client peer: a libp2p host holding the mesh key (which is what admits it to the bulk port) and a chunk client over the bulk channel only. */
interface LoadClient { host: Libp2p, chunks: ChunkClient }

describe('bulk channel under load (node processes, real TCP on 127.0.0.1)', function () {
  this.timeout(120_000)
  const meshKey = new TextDecoder().decode(generateMeshKey())
  let procs: ChildProcess[] = []
  let dirs: string[] = []
  let clients: LoadClient[] = []

  afterEach(async () => {
    await Promise.allSettled(clients.map(async c => {
      await c.chunks.close()
      await c.host.stop()
    }))
    clients = []
    await Promise.allSettled(procs.map(async p => {
      if (p.exitCode !== null || p.signalCode !== null) return
      const exited = new Promise(resolve => p.once('exit', resolve))
      p.stdin?.end()
      const timer = setTimeout(() => p.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }))
    procs = []
    await Promise.allSettled(dirs.map(async d => rm(d, { recursive: true, force: true })))
    dirs = []
  })

  async function startNode (seeds: string[], zone: string): Promise<ObservedNode> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-bulk-load-'))
    dirs.push(dataDir)
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'observed-node.js')
    const proc = spawn(process.execPath, ['--expose-gc', script, JSON.stringify({ dataDir, meshKey, seeds, timings: TIMINGS, zone })], { stdio: ['pipe', 'pipe', 'inherit'] })
    procs.push(proc)
    const lines = createInterface({ input: proc.stdout })
    const hello = await new Promise<Hello>((resolve, reject) => {
      lines.once('line', line => { resolve((JSON.parse(line) as { hello: Hello }).hello) })
      proc.once('exit', code => { reject(new Error(`node process exited with ${code}`)) })
    })
    return new ObservedNode(proc, hello, lines)
  }

  async function startMesh (n: number): Promise<ObservedNode[]> {
    const seed = await startNode([], 'test/dc1/r1/h0')
    const rest = await Promise.all(Array.from({ length: n - 1 }, async (_, i) => startNode([seed.hello.addrs[0]!], `test/dc1/r1/h${i + 1}`)))
    const nodes = [seed, ...rest]
    const deadline = Date.now() + 30_000
    for (;;) {
      const reports = await Promise.all(nodes.map(async node => node.request<Report>('report')))
      if (reports.every(r => Object.keys(r.liveness).length === n - 1 && Object.values(r.liveness).every(l => l === 'up'))) break
      if (Date.now() > deadline) throw new Error(`the mesh did not converge: ${JSON.stringify(reports.map(r => r.liveness))}`)
      await sleep(100)
    }
    return nodes
  }

  async function client (node: ObservedNode, streams: number, perStream: number): Promise<LoadClient> {
    const privateKey = await generateKeyPair('Ed25519')
    const host = await createLibp2p({
      privateKey,
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionProtector: preSharedKey({ psk: new TextEncoder().encode(meshKey) })
    })
    const c: LoadClient = {
      host,
      // no libp2p fallback: every byte of these tests goes over the bulk channel
      chunks: createChunkClient({
        transport: bulkTransport({ privateKey, resolve: () => node.hello.bulkAddr }),
        maxStreamsPerPeer: streams,
        maxRequestsPerStream: perStream
      })
    }
    clients.push(c)
    await host.dial(multiaddr(node.hello.addrs[0]))
    return c
  }

  async function store (c: LoadClient, node: ObservedNode, count: number, size: number): Promise<Chunk[]> {
    const chunks: Chunk[] = []
    for (let i = 0; i < count; i++) {
      const chunk = await randomChunk(size, size)
      const result = await c.chunks.put(node.peerId, chunk.cid, chunk.bytes)
      assert.equal(result.stored.length, 1, JSON.stringify(result.failed))
      chunks.push(chunk)
    }
    return chunks
  }

  it('keeps heartbeats and failure detection going while a node serves reads flat out', async () => {
    const nodes = await startMesh(3)
    const [a] = nodes as [ObservedNode]
    // 32 reads in flight over 4 TLS connections, more than the node can serve at once
    const reader = await client(a, 4, 8)
    const chunks = await store(reader, a, 8, 4 * MiB)
    await Promise.all(nodes.map(async n => n.request('reset')))
    const from = Date.now()

    let bytes = 0
    const until = Date.now() + 8_000
    await Promise.all(Array.from({ length: 32 }, async (_, i) => {
      for (let j = i; Date.now() < until; j++) {
        const chunk = chunks[j % chunks.length]!
        let got = 0
        // the chunk client checks every whole chunk against its id
        for await (const buf of reader.chunks.get(a.peerId, chunk.cid)) got += buf.byteLength
        assert.equal(got, chunk.bytes.byteLength)
        bytes += got
      }
    }))
    const reports = await Promise.all(nodes.map(async n => n.request<Report>('report')))
    const aReport = reports[0]!

    // the data plane really was saturated: requests were running on every sample
    assert.ok(aReport.samples > 50, `only ${aReport.samples} samples`)
    assert.ok(aReport.busySamples >= aReport.samples * 0.9, `bulk requests ran in ${aReport.busySamples} of ${aReport.samples} samples`)
    assert.ok(bytes >= 64 * MiB, `read only ${bytes} bytes`)
    // ... and nobody suspected anybody meanwhile, in either direction
    const suspicions = nodes.flatMap(n => n.events.filter(e => e.at >= from).map(e => `${n.hello.peerId.slice(-6)} saw ${e.peer.slice(-6)} ${e.event}`))
    assert.deepEqual(suspicions, [])
    for (const [i, r] of reports.entries()) {
      assert.ok(Object.values(r.liveness).every(l => l === 'up'), `node ${i}: ${JSON.stringify(r.liveness)}`)
      for (const [peer, silence] of Object.entries(r.maxSilenceMs)) {
        assert.ok(silence < TIMINGS.suspectAfterMs, `node ${i} heard nothing from ${peer.slice(-6)} for ${silence} ms (event loop delay up to ${r.loopDelayMaxMs.toFixed(0)} ms)`)
      }
    }
  })

  it('serves 64 concurrent large gets in bounded memory, byte-exact, while another client is served', async () => {
    const [a] = await startMesh(1) as [ObservedNode]
    // four client peers with 16 gets in flight each: 64 running at the node at once
    const readers = await Promise.all(Array.from({ length: 4 }, async () => client(a, 2, 8)))
    const other = await client(a, 1, 4)
    const chunks = await store(readers[0]!, a, 16, 4 * MiB)
    const [small] = await store(other, a, 1, 100_000) as [Chunk]
    await a.request('reset')

    let running = 64
    const gets = Promise.all(Array.from({ length: 64 }, async (_, i) => {
      const chunk = chunks[i % chunks.length]!
      // half the readers are slow: a node that buffered whole answers for them would hold 32 x 4 MiB
      const slow = i % 2 === 1
      let at = 0
      try {
        for await (const buf of readers[i % readers.length]!.chunks.get(a.peerId, chunk.cid)) {
          assert.ok(Buffer.from(buf).equals(chunk.bytes.subarray(at, at + buf.byteLength)), `get ${i}: bytes differ at ${at}`)
          at += buf.byteLength
          if (slow) await sleep(40)
        }
        assert.equal(at, chunk.bytes.byteLength)
      } finally {
        running--
      }
    }))
    // the other client keeps being answered while the gets run
    let served = 0
    let servedWhileBusy = 0
    while (running > 0) {
      const stat = await other.chunks.stat(a.peerId, small.cid)
      assert.equal(stat?.size, small.bytes.byteLength)
      const parts: Uint8Array[] = []
      for await (const buf of other.chunks.get(a.peerId, small.cid)) parts.push(buf)
      assert.ok(Buffer.concat(parts).equals(small.bytes))
      served++
      if (running >= 32) servedWhileBusy++
    }
    await gets
    const report = await a.request<Report>('report')
    assert.ok(servedWhileBusy >= 3, `the other client was answered ${servedWhileBusy} times while 32 or more gets ran (${served} in all)`)
    // a node that buffered whole answers for the 32 slow readers would hold 128 MiB of them
    const growth = report.peakRssBytes - report.baseRssBytes
    assert.ok(growth < 64 * MiB, `the node's RSS grew by ${(growth / MiB).toFixed(0)} MiB serving 64 x 4 MiB`)
    assert.ok(report.peakArrayBufferBytes < 80 * MiB, `the node held up to ${(report.peakArrayBufferBytes / MiB).toFixed(0)} MiB of buffers (garbage included)`)
  })
})
