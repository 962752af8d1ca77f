import path from 'node:path'
import { generateMeshKey, NODE_PROCESS_V8_FLAGS } from '@weft/node'
import { sampleRss } from './rss.js'
import { spawnWorker } from './spawn-worker.js'
import { makeTempRoot, removeTempRoot } from './temp.js'
import type { RssSampler, RssStats } from './rss.js'
import type { Worker } from './spawn-worker.js'

/**
 * A mesh of weft node processes on loopback for a scenario
 * (bench/dist/src/workers/mesh-node.js, one process per node), with every
 * data dir under one temp root that `stop()` removes, and that is removed
 * even when the bench process dies with the mesh still up.
 */

const NODE_SCRIPT = new URL('../workers/mesh-node.js', import.meta.url)
export const DEFAULT_MESH_NODES = 3
export const DEFAULT_CONVERGE_TIMEOUT_MS = 30_000

export interface MeshNodeHello { ready: boolean, peerId: string, addrs: string[] }

export interface BenchMeshInit {
  /** names temp dirs and workers */
  name: string
  /** @default DEFAULT_MESH_NODES (3) */
  nodes?: number
  cpuProf?: boolean
  signal?: AbortSignal
}

export interface BenchMesh {
  nodes: Array<Worker<MeshNodeHello>>
  /** every node's first address: seeds for a client */
  seeds: string[]
  /** environment a client worker of this mesh needs (mesh key, node count) */
  env: Record<string, string>
  pids: number[]
  /** the temp root holding every node's data dir */
  root: string
  /** samples every node's RSS until stopped */
  sampleRss(intervalMs?: number): { stop(): RssStats[], read(): RssStats[] }
  stop(): Promise<void>
}

/**
 * Starts `nodes` node processes (zones bench/dc1/r1/h0, h1, ... so r = 3
 * spreads over hosts), each seeded with the first, and waits until every
 * node sees all of them up.
 */
export async function startMesh (init: BenchMeshInit): Promise<BenchMesh> {
  const count = init.nodes ?? DEFAULT_MESH_NODES
  const root = await makeTempRoot(init.name)
  const meshKey = new TextDecoder().decode(generateMeshKey())
  const env = { WEFT_BENCH_MESH_KEY: meshKey, WEFT_BENCH_NODES: String(count) }
  const nodes: Array<Worker<MeshNodeHello>> = []
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(async n => n.stop()))
    await removeTempRoot(root)
  }
  try {
    const spawn = async (i: number, seeds: string[]): Promise<Worker<MeshNodeHello>> =>
      await spawnWorker<MeshNodeHello>(NODE_SCRIPT, [path.join(root, `n${i}`), `bench/dc1/r1/h${i}`, ...seeds], { env, execArgv: [...NODE_PROCESS_V8_FLAGS], name: `${init.name}-node-${i}`, cpuProf: init.cpuProf, signal: init.signal })
    nodes.push(await spawn(0, []))
    const seed = nodes[0]?.hello.addrs[0] ?? ''
    const rest = await Promise.allSettled(Array.from({ length: count - 1 }, async (_, i) => await spawn(i + 1, [seed])))
    for (const r of rest) if (r.status === 'fulfilled') nodes.push(r.value)
    const failed = rest.find(r => r.status === 'rejected')
    if (failed != null) throw failed.reason
    await converge(nodes, init.signal)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    nodes,
    seeds: nodes.map(n => n.hello.addrs[0] ?? ''),
    env,
    pids: nodes.map(n => n.pid),
    root,
    sampleRss: (intervalMs = 50) => {
      const samplers: RssSampler[] = nodes.map(n => sampleRss(n.pid, intervalMs))
      return { stop: () => samplers.map(s => s.stop()), read: () => samplers.map(s => s.read()) }
    },
    stop
  }
}

async function converge (nodes: Array<Worker<MeshNodeHello>>, signal?: AbortSignal): Promise<void> {
  const ids = nodes.map(n => n.hello.peerId)
  const deadline = performance.now() + DEFAULT_CONVERGE_TIMEOUT_MS
  for (;;) {
    signal?.throwIfAborted()
    const views = await Promise.all(nodes.map(async n => n.request<{ up: string[] }>({ op: 'members' })))
    if (views.every(v => ids.every(id => v.up.includes(id)))) return
    if (performance.now() > deadline) throw new Error(`node processes did not converge in ${DEFAULT_CONVERGE_TIMEOUT_MS} ms`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}
