import '@weft/protocol/polyfill'
import { seededShuffle } from '../harness/random.js'
import { failWorker, serveWorker } from '../harness/worker-io.js'
import { connectToBenchMesh, ensureBucket } from './connect-mesh.js'
import { largePayload, sampleBytes, sampleKey } from './payload.js'
import { timedLoop } from './timed-loop.js'
import type { WeftClient } from '@weft/client'

/**
 * A WeftClient (the public API of @weft/client only) in its own process, so
 * its RSS and CPU are the client's alone: `node weft-client.js <seed>...`,
 * mesh key in WEFT_BENCH_MESH_KEY. Hello `{ ready, peerId }` once the map
 * shows WEFT_BENCH_NODES nodes up. Commands:
 * - `{ op: 'put', bucket, key, bytes, replicas }` -> `{ ms, size }`: streams
 *   the generated large payload (payload.ts) in 1 MiB pieces.
 * - `{ op: 'getSamples', ..., byManifest? }`: with `byManifest`, lists the samples first and reads each by its manifest.
 * - `{ op: 'get', bucket, key, reuse? }` -> `{ ms, bytes, ... }`: reads it all, touching every piece (with `reuse`, lent pieces: `reuseBuffers`).
 * - `{ op: 'putSamples', bucket, prefix, count, size, concurrency, replicas }`
 *   -> timed loop result: `count` generated samples, `concurrency` puts in flight.
 * - `{ op: 'getSamples', bucket, prefix, count, size, concurrency, seed, maxSeconds }`
 *   -> timed loop result: each sample once in a seeded random order, each
 *   checked for its size.
 * - `{ op: 'usage' }` -> CPU time and RSS.
 */

const meshKey = process.env.WEFT_BENCH_MESH_KEY
const expectNodes = Number(process.env.WEFT_BENCH_NODES ?? '3')
if (meshKey == null) failWorker(new Error('WEFT_BENCH_MESH_KEY is not set'))

let client: WeftClient
try {
  client = await connectToBenchMesh(process.argv.slice(2), meshKey ?? '', expectNodes)
} catch (err) {
  failWorker(err)
}
const c = client

serveWorker({
  hello: { ready: true, peerId: c.peerId },
  onCommand: async (cmd) => {
    const bucket = typeof cmd.bucket === 'string' ? cmd.bucket : 'bench'
    switch (cmd.op) {
      case 'put': {
        await ensureBucket(c, bucket, Number(cmd.replicas ?? 3))
        const started = performance.now()
        const r = await c.put(bucket, String(cmd.key), largePayload(Number(cmd.bytes)))
        return { ms: performance.now() - started, size: r.size }
      }
      case 'get': {
        const before = c.readStats()
        const started = performance.now()
        let bytes = 0
        let xor = 0
        for await (const b of c.get(bucket, String(cmd.key), { reuseBuffers: cmd.reuse === true })) {
          bytes += b.byteLength
          xor ^= b[b.byteLength - 1] ?? 0
        }
        const ms = performance.now() - started
        const after = c.readStats()
        return { ms, bytes, xor, chunks: after.chunks - before.chunks, hedges: after.hedges - before.hedges, failovers: after.failovers - before.failovers, buffersReused: after.buffersReused - before.buffersReused }
      }
      case 'putSamples': {
        await ensureBucket(c, bucket, Number(cmd.replicas ?? 3))
        const size = Number(cmd.size)
        const prefix = String(cmd.prefix)
        const order = Array.from({ length: Number(cmd.count) }, (_, i) => i)
        return await timedLoop(order, Number(cmd.concurrency ?? 16), 0, async i => {
          const r = await c.put(bucket, sampleKey(prefix, i), sampleBytes(i, size))
          return r.size
        })
      }
      case 'getSamples': {
        const size = Number(cmd.size)
        const prefix = String(cmd.prefix)
        const order = seededShuffle(Number(cmd.count), Number(cmd.seed ?? 1))
        // byManifest: list the samples first (untimed, as a loader indexes its dataset), then read each by its manifest
        const manifests = new Map<string, string>()
        if (cmd.byManifest === true) {
          for await (const o of c.list(bucket, { prefix })) manifests.set(o.key, o.manifest)
        }
        return await timedLoop(order, Number(cmd.concurrency ?? 16), Number(cmd.maxSeconds ?? 0), async i => {
          const key = sampleKey(prefix, i)
          const manifest = manifests.get(key)
          const bytes = await c.get(bucket, key, manifest !== undefined ? { manifest } : {}).bytes()
          if (bytes.byteLength !== size) throw new Error(`sample ${i}: ${bytes.byteLength} bytes, expected ${size}`)
          return bytes.byteLength
        })
      }
      case 'usage':
        return { cpuUsage: process.cpuUsage(), rssBytes: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed }
      default:
        throw new Error(`unknown op ${String(cmd.op)}`)
    }
  },
  onShutdown: async () => { await c.close() }
})
