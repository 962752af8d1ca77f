import '@weft/protocol/polyfill'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { failWorker, serveWorker } from '../harness/worker-io.js'
import { connectToBenchMesh, ensureBucket } from './connect-mesh.js'
import { sampleBytes, sampleKey } from './payload.js'
import { timedLoop } from './timed-loop.js'
import { emulateTraining } from './train-emulator.js'
import type { TrainPlan } from './train-emulator.js'
import type { WeftClient } from '@weft/client'

/**
 * The training emulator (train-emulator.ts) over one storage backend, in its
 * own process so both backends run in the same kind of process:
 * - `node train-worker.js weft <seed>...` (mesh key in WEFT_BENCH_MESH_KEY):
 *   samples are objects in bucket `train` (r = 3), read with `client.get`;
 * - `node train-worker.js files <dir>`: samples are files in `dir`, read with
 *   `fs.readFile` (the page cache holds them, as it holds the nodes' chunk files).
 * Hello `{ ready, backend }`. Commands:
 * - `{ op: 'load', prefix, sizes, concurrency }` -> timed loop result: writes
 *   sample i (payload.ts `sampleBytes(i, sizes[i])`) under `prefix`.
 * - `{ op: 'run', prefix, plan }` -> TrainResult.
 */

const BUCKET = 'train'
const backend = process.argv[2]

interface Backend {
  write(key: string, bytes: Uint8Array): Promise<void>
  read(key: string): Promise<number>
  /** weft only: read the samples under `prefix` by manifest from now on (lists them first); undefined reads by key again */
  readByManifest?(prefix: string | undefined): Promise<void>
  close(): Promise<void>
}

async function open (): Promise<Backend> {
  if (backend === 'files') {
    const dir = process.argv[3]
    if (dir == null) throw new Error('usage: train-worker.js files <dir>')
    await mkdir(dir, { recursive: true })
    // keys contain '/', which becomes one directory level per prefix
    const file = (key: string): string => path.join(dir, ...key.split('/'))
    return {
      write: async (key, bytes) => {
        await mkdir(path.dirname(file(key)), { recursive: true })
        await writeFile(file(key), bytes)
      },
      read: async key => (await readFile(file(key))).byteLength,
      close: async () => {}
    }
  }
  if (backend === 'weft') {
    const meshKey = process.env.WEFT_BENCH_MESH_KEY
    if (meshKey == null) throw new Error('WEFT_BENCH_MESH_KEY is not set')
    const client: WeftClient = await connectToBenchMesh(process.argv.slice(3), meshKey, Number(process.env.WEFT_BENCH_NODES ?? '3'))
    await ensureBucket(client, BUCKET, 3)
    // key -> manifest of the samples listed by readByManifest; a key not in it is read by key (a majority read of its ref)
    let manifests = new Map<string, string>()
    return {
      write: async (key, bytes) => { await client.put(BUCKET, key, bytes) },
      read: async key => {
        const manifest = manifests.get(key)
        return (await client.get(BUCKET, key, manifest !== undefined ? { manifest } : {}).bytes()).byteLength
      },
      readByManifest: async prefix => {
        manifests = new Map()
        if (prefix === undefined) return
        for await (const o of client.list(BUCKET, { prefix })) manifests.set(o.key, o.manifest)
      },
      close: async () => { await client.close() }
    }
  }
  throw new Error(`backend must be weft or files, not ${String(backend)}`)
}

let store: Backend
try {
  store = await open()
} catch (err) {
  failWorker(err)
}
const s = store

serveWorker({
  hello: { ready: true, backend },
  onCommand: async (cmd) => {
    const prefix = String(cmd.prefix)
    switch (cmd.op) {
      case 'load': {
        const sizes = cmd.sizes as number[]
        const order = sizes.map((_, i) => i)
        return await timedLoop(order, Number(cmd.concurrency ?? 16), 0, async i => {
          const bytes = sampleBytes(i, sizes[i]!)
          await s.write(sampleKey(prefix, i), bytes)
          return bytes.byteLength
        })
      }
      case 'run': {
        const plan = cmd.plan as TrainPlan
        if (cmd.byManifest === true && s.readByManifest == null) throw new Error('byManifest needs the weft backend')
        await s.readByManifest?.(cmd.byManifest === true ? prefix : undefined)
        return await emulateTraining(plan, async i => await s.read(sampleKey(prefix, i)))
      }
      default:
        throw new Error(`unknown op ${String(cmd.op)}`)
    }
  },
  onShutdown: async () => { await s.close() }
})
