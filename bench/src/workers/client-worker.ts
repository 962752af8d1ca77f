import '@weft/protocol/polyfill'
import { connect } from '@weft/client'
import { partitionOfDigest } from '@weft/placement'
import { ManifestReader, asChunkCid } from '@weft/protocol'
import { peerIdFromString } from '@libp2p/peer-id'
import { failWorker, serveWorker } from '../harness/worker-io.js'
import type { WeftClient } from '@weft/client'
import type { ChunkSlice } from '@weft/protocol'

/**
 * A WeftClient in its own process, for the `client` scenario (so its RSS is
 * the client's alone): `node client-worker.js <seed multiaddr>...`, mesh key
 * in WEFT_BENCH_MESH_KEY. Hello: `{ ready, peerId }` once the map shows
 * `WEFT_BENCH_NODES` nodes up. Commands:
 * - `{ op: 'put', bucket, key, bytes, replicas }`: creates the bucket if
 *   needed and streams `bytes` of generated data (1 MiB pieces, never the
 *   whole object in memory); answers `{ ms, size }`.
 * - `{ op: 'get', bucket, key, length? }`: reads the object (or its first
 *   `length` bytes), touching every byte; answers `{ ms, bytes, stats }`.
 * - `{ op: 'ceiling', bucket, key, length?, concurrency }`: the same chunks
 *   through the bare chunk client (no manifest walk in the timing, no
 *   hashing, no hedging), `concurrency` in flight over the replicas in
 *   turn; answers `{ ms, bytes }`.
 */

const MiB = 1024 * 1024
const meshKey = process.env.WEFT_BENCH_MESH_KEY
const expectNodes = Number(process.env.WEFT_BENCH_NODES ?? '3')
if (meshKey == null) failWorker(new Error('WEFT_BENCH_MESH_KEY is not set'))

let client: WeftClient
try {
  client = await connect({ seeds: process.argv.slice(2), meshKey })
  const deadline = Date.now() + 30_000
  while (client.mesh.getMap().nodes.filter(n => n.state === 'up').length < expectNodes) {
    if (Date.now() > deadline) throw new Error(`the client saw only ${client.mesh.getMap().nodes.length} of ${expectNodes} nodes`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
} catch (err) {
  failWorker(err)
}
const c = client

async function * generated (size: number): AsyncGenerator<Uint8Array> {
  const block = new Uint8Array(MiB)
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24
  for (let at = 0, n = 0; at < size; at += MiB, n++) {
    const piece = Uint8Array.from(block.subarray(0, Math.min(MiB, size - at)))
    new DataView(piece.buffer).setUint32(0, n)
    yield piece
  }
}

async function put (cmd: Record<string, unknown>): Promise<unknown> {
  const bucket = String(cmd.bucket)
  try {
    await c.getBucket(bucket)
  } catch {
    await c.createBucket(bucket, { replicas: Number(cmd.replicas ?? 3) })
  }
  const started = performance.now()
  const result = await c.put(bucket, String(cmd.key), generated(Number(cmd.bytes)))
  return { ms: performance.now() - started, size: result.size, chunks: result.chunks }
}

async function get (cmd: Record<string, unknown>): Promise<unknown> {
  const length = cmd.length == null ? undefined : Number(cmd.length)
  const started = performance.now()
  let bytes = 0
  let xor = 0
  for await (const b of c.get(String(cmd.bucket), String(cmd.key), length == null ? {} : { range: { offset: 0, length } })) {
    bytes += b.byteLength
    xor ^= b[b.byteLength - 1] ?? 0
  }
  const { peers, ...stats } = c.readStats()
  return { ms: performance.now() - started, bytes, xor, stats, peers: Object.fromEntries([...peers].map(([p, m]) => [p.slice(-6), m.bytes])) }
}

async function ceiling (cmd: Record<string, unknown>): Promise<unknown> {
  const bucket = String(cmd.bucket)
  const { policy } = await c.getBucket(bucket)
  const head = await c.head(bucket, String(cmd.key))
  const root = asChunkCid(head.manifest)
  if (root == null) throw new Error('no manifest')
  const placement = c.mesh.placement()
  const chunks = c.mesh.chunkClient
  const readWhole = async (cid: NonNullable<typeof root>): Promise<Uint8Array> => {
    const peers = placement.replicaSet(partitionOfDigest(cid.multihash.digest), policy).nodes
    const parts: Uint8Array[] = []
    for await (const p of chunks.get(peerIdFromString(peers[0]!.peerId), cid)) parts.push(p)
    return Buffer.concat(parts)
  }
  const reader = await ManifestReader.open(root, { readChunk: readWhole })
  const length = cmd.length == null ? head.size : Number(cmd.length)
  const slices: ChunkSlice[] = await reader.resolveRange(0, length)
  const concurrency = Number(cmd.concurrency ?? 8)
  let next = 0
  let bytes = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < slices.length) {
      const i = next++
      const slice = slices[i]!
      const replicas = placement.replicaSet(partitionOfDigest(slice.cid.multihash.digest), policy).nodes
      const peer = replicas[i % replicas.length]!
      for await (const p of chunks.get(peerIdFromString(peer.peerId), slice.cid, { verify: false })) bytes += p.byteLength
    }
  }))
  return { ms: performance.now() - started, bytes }
}

serveWorker({
  hello: { ready: true, peerId: c.peerId },
  onCommand: async (cmd) => {
    switch (cmd.op) {
      case 'put': return put(cmd)
      case 'get': return get(cmd)
      case 'ceiling': return ceiling(cmd)
      case 'rss': return { rssBytes: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed }
      default: throw new Error(`unknown op ${String(cmd.op)}`)
    }
  },
  onShutdown: async () => { await c.close() }
})
