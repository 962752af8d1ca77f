import { topCpuEntries } from './cpu-profile.js'
import { startMesh } from './mesh.js'
import { spawnWorker } from './spawn-worker.js'
import { mbps } from './stats.js'
import { note } from '../report.js'
import type { BenchMesh } from './mesh.js'
import type { Worker } from './spawn-worker.js'

/**
 * Weft measurements several scenarios share: a mesh of node processes plus
 * one client process (bench/dist/src/workers/weft-client.js, public
 * @weft/client API only), and the transfers they time.
 */

const CLIENT_SCRIPT = new URL('../workers/weft-client.js', import.meta.url)
/** a put or get of a large object may take long on a busy box; the worker itself has no deadline */
export const LONG_REQUEST_MS = 3_600_000

export interface WeftSetup {
  mesh: BenchMesh
  client: Worker
  /** every benchmark process: the nodes and the client */
  pids: number[]
}

export interface WeftSetupInit {
  name: string
  cpuProf?: boolean
}

/** Starts a 3-node mesh and a client process, runs `fn`, and always stops both (and removes the data dirs). */
export async function withWeft<T> (init: WeftSetupInit, fn: (setup: WeftSetup) => Promise<T>): Promise<T> {
  const mesh = await startMesh({ name: init.name, cpuProf: init.cpuProf })
  let client: Worker | undefined
  try {
    client = await spawnWorker(CLIENT_SCRIPT, mesh.seeds, { env: mesh.env, name: `${init.name}-client`, cpuProf: init.cpuProf })
    return await fn({ mesh, client, pids: [client.pid, ...mesh.pids] })
  } finally {
    await client?.stop()
    await mesh.stop()
    if (init.cpuProf === true) await noteProfiles(init.name, [client, ...mesh.nodes])
  }
}

/** Prints the top self-time entries of each worker's CPU profile (`--cpu-prof`). */
export async function noteProfiles (scenario: string, workers: ReadonlyArray<Worker<unknown> | undefined>): Promise<void> {
  for (const w of workers) {
    const file = w?.cpuProfilePath
    if (file == null) continue
    const top = await topCpuEntries(file, 8).catch(() => [])
    note(scenario, `profile ${file}: ${top.map(e => `${e.frame} ${(e.share * 100).toFixed(1)}%`).join('; ')}`)
  }
}

export interface TimedTransfer {
  ms: number
  bytes: number
  mbps: number
}

/** Puts the generated `bytes`-byte payload as bucket/key (r = `replicas`). */
export async function putLarge (client: Worker, bucket: string, key: string, bytes: number, replicas = 3): Promise<TimedTransfer> {
  const r = await client.request<{ ms: number, size: number }>({ op: 'put', bucket, key, bytes, replicas }, { timeoutMs: LONG_REQUEST_MS })
  if (r.size !== bytes) throw new Error(`put stored ${r.size} of ${bytes} bytes`)
  return { ms: r.ms, bytes, mbps: mbps(bytes, r.ms / 1000) }
}

/** Reads bucket/key whole; throws unless it has `bytes` bytes. */
/** A get's transfer, with what its reads cost beyond one request per chunk. */
export interface GetTransfer extends TimedTransfer {
  chunks: number
  /** extra requests sent because the first was slow (each may move a chunk's bytes again) */
  hedges: number
  failovers: number
  /** frames received into reused buffers (`reuse`) */
  buffersReused: number
}

/** Reads the object whole; `reuse` lends the pieces (the client's `reuseBuffers`). */
export async function getLarge (client: Worker, bucket: string, key: string, bytes: number, options: { reuse?: boolean } = {}): Promise<GetTransfer> {
  const r = await client.request<{ ms: number, bytes: number, chunks: number, hedges: number, failovers: number, buffersReused: number }>({ op: 'get', bucket, key, reuse: options.reuse === true }, { timeoutMs: LONG_REQUEST_MS })
  if (r.bytes !== bytes) throw new Error(`get returned ${r.bytes} of ${bytes} bytes`)
  return { ms: r.ms, bytes, mbps: mbps(bytes, r.ms / 1000), chunks: r.chunks, hedges: r.hedges, failovers: r.failovers, buffersReused: r.buffersReused }
}

/** What a worker's timed loop answers (workers/timed-loop.ts). */
export interface LoopAnswer {
  count: number
  seconds: number
  samplesUs: number[]
  bytes: number
  cut: boolean
}

export interface SamplesInit {
  bucket: string
  prefix: string
  count: number
  size: number
  concurrency: number
}

/** Puts `count` generated samples of `size` bytes, `concurrency` in flight. */
export async function putSamples (client: Worker, init: SamplesInit & { replicas?: number }): Promise<LoopAnswer> {
  const r = await client.request<LoopAnswer>({ op: 'putSamples', replicas: 3, ...init }, { timeoutMs: LONG_REQUEST_MS })
  if (r.count !== init.count) throw new Error(`put ${r.count} of ${init.count} samples`)
  return r
}

/** Gets each sample once in a seeded random order, `concurrency` in flight, for at most `maxSeconds`. */
/** Gets the samples in a seeded order; `byManifest` lists them first and reads each by its manifest (no ref read). */
export async function getSamples (client: Worker, init: SamplesInit & { seed: number, maxSeconds: number, byManifest?: boolean }): Promise<LoopAnswer> {
  return await client.request<LoopAnswer>({ op: 'getSamples', ...init }, { timeoutMs: LONG_REQUEST_MS })
}
