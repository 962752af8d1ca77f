/**
 * A training-style data loader on weft: each epoch reads every sample of a
 * dataset once, in a freshly shuffled order, with a prefetch window of
 * concurrent gets, and feeds batches to a simulated accelerator that
 * "computes" for a fixed time per batch (as MLPerf Storage emulates
 * training). Prints samples/s, MB/s and accelerator utilisation (compute
 * time / wall time) per epoch.
 *
 * The dataset is listed once into an index (key -> manifest id) and every
 * sample is read by its manifest: no majority read of its ref per get, and
 * once the manifests are cached (from the second epoch) one round trip per
 * sample.
 *
 *   node examples/dist/src/train-loader.js [--samples=512] [--sample-bytes=114660] [--batch=32]
 *     [--compute-ms=20] [--prefetch=64] [--epochs=3] [--seed <multiaddr> --mesh-key <file>]
 *
 * Defaults are ResNet-50's sample size with a small dataset and a short
 * compute time, so it runs in seconds on a laptop-sized local mesh.
 */
import { connect } from '@weft/client'
import { numberOption, openMesh } from './local-mesh.js'
import type { WeftClient } from '@weft/client'

const samples = numberOption('samples', 512)
const sampleBytes = numberOption('sample-bytes', 114_660)
const batchSize = numberOption('batch', 32)
const computeMs = numberOption('compute-ms', 20)
const prefetch = numberOption('prefetch', 64)
const epochs = numberOption('epochs', 3)
const BUCKET = 'train-loader'

/** A seeded shuffle (mulberry32 + Fisher-Yates): every epoch its own order, the same on every run. */
function shuffled<T> (items: readonly T[], seed: number): T[] {
  let a = seed >>> 0
  const random = (): number => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** The dataset's index: every sample's key -> the manifest id of its current version. */
async function index (client: WeftClient): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const o of client.list(BUCKET, { prefix: 'sample/' })) out.set(o.key, o.manifest)
  return out
}

async function prepare (client: WeftClient, keys: string[]): Promise<Map<string, string>> {
  let existing = new Map<string, string>()
  try {
    existing = await index(client)
  } catch {
    await client.createBucket(BUCKET, { replicas: 2 })
  }
  const missing = keys.filter(k => !existing.has(k))
  let next = 0
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < missing.length) {
      const key = missing[next++] as string
      const bytes = new Uint8Array(sampleBytes)
      bytes.fill(key.length + next)
      await client.put(BUCKET, key, bytes)
    }
  }))
  if (missing.length === 0) return existing
  console.log(`wrote ${missing.length} samples of ${sampleBytes} B`)
  return await index(client)
}

/** The samples of `order`, in that order, with up to `depth` gets in flight ahead of the consumer. */
async function * loader (client: WeftClient, manifests: Map<string, string>, order: string[], depth: number): AsyncGenerator<Uint8Array> {
  const window: Array<Promise<Uint8Array>> = []
  let next = 0
  const fill = (): void => {
    while (window.length < depth && next < order.length) {
      const key = order[next++] as string
      const p = client.get(BUCKET, key, { manifest: manifests.get(key) }).bytes()
      p.catch(() => {})
      window.push(p)
    }
  }
  fill()
  while (window.length > 0) {
    const sample = await (window.shift() as Promise<Uint8Array>)
    fill()
    yield sample
  }
}

const mesh = await openMesh()
const client = await connect({ seeds: mesh.seeds, meshKey: mesh.meshKey })
try {
  const keys = Array.from({ length: samples }, (_, i) => `sample/${String(i).padStart(6, '0')}`)
  const manifests = await prepare(client, keys)
  console.log(`${samples} samples x ${sampleBytes} B, batch ${batchSize}, compute ${computeMs} ms/batch, prefetch ${prefetch}`)
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffled(keys, 1000 + epoch)
    const started = performance.now()
    let computing = 0
    let batch = 0
    let bytes = 0
    for await (const sample of loader(client, manifests, order, prefetch)) {
      bytes += sample.byteLength
      if (++batch === batchSize) {
        batch = 0
        // the accelerator is busy; the loader keeps fetching meanwhile
        const t = performance.now()
        await new Promise(resolve => setTimeout(resolve, computeMs))
        computing += performance.now() - t
      }
    }
    const seconds = (performance.now() - started) / 1000
    console.log(`epoch ${epoch + 1}: ${(samples / seconds).toFixed(0)} samples/s, ${(bytes / seconds / 1e6).toFixed(1)} MB/s, accelerator utilisation ${(100 * computing / 1000 / seconds).toFixed(0)}% (${seconds.toFixed(2)} s)`)
  }
  const stats = client.readStats()
  console.log(`reads: ${stats.chunks} chunks, ${stats.hedges} hedges (${stats.hedgeWins} won), ${stats.failovers} failovers, ${stats.corrupt} corrupt`)
} finally {
  await client.close()
  await mesh.stop()
}
