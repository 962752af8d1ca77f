/**
 * Placement maths at N = 10, 100 and 1000 nodes (weights 1-4, 3 zones, every
 * node on its own host, r = 3) over 1,000,000 chunk ids, in-process.
 *
 * - uncached lookups/s: first lookups of every partition the chunk ids touch
 *   (each a full rendezvous pass over the nodes); cached lookups/s: all
 *   1,000,000 chunk lookups again, answered from the replica-set cache.
 * - balance: max / mean over nodes of (chunk replicas held / fair share by
 *   weight). Spread is 'host' so spreading never constrains the choice; with
 *   'zone' spread and 3 zones, load follows zone totals instead, so that is
 *   reported against the zone-constrained fair share (N <= 100).
 * - movement: bytes copied (4 MiB per chunk replica) when one node joins (or
 *   leaves), over the joiner's (leaver's) fair share; summed over 4 trials
 *   with weights 1-4, and the worst single trial. Plus replicas that moved
 *   between two nodes that were there before and after (ideal: 0).
 *
 * - `--partition-balance` also counts every partition once (no id sampling
 *   noise; slow at N = 1000: about a minute more).
 *
 * `npm run bench -- placement [--sizes=10,100,1000] [--chunks=1000000] [--partition-balance]`
 */
import { createHash } from 'node:crypto'
import { PARTITION_COUNT, createPlacement, diffMaps, partitionOfDigest } from '@weft/placement'
import { record } from './report.js'
import type { ClusterMap, ClusterNode, PlacementPolicy } from '@weft/placement'

const SCENARIO = 'placement'
const CHUNK_BYTES = 4 * 1024 * 1024
const REPLICAS = 3
const HOST_SPREAD: PlacementPolicy = { replicas: REPLICAS, spread: 'host' }
const ZONE_SPREAD: PlacementPolicy = { replicas: REPLICAS, spread: 'zone' }
const TRIAL_WEIGHTS = [1, 2, 3, 4]

function option (args: string[], name: string): string | undefined {
  return args.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}

/** mulberry32: the bench's maps are the same every run. */
function prng (seed: number): () => number {
  let s = seed | 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function peerId (label: string): string {
  return `12D3KooW${createHash('sha256').update(label).digest('base64url').slice(0, 44)}`
}

function makeNode (label: string, weight: number, zone: number, host: string): ClusterNode {
  return { peerId: peerId(label), weight, zone: `z${zone}/dc1/r-${host}/h-${host}`, state: 'up' }
}

/** Chunk ids' partitions, and how many chunks each partition holds. */
function chunks (count: number): { partitions: Uint32Array, perPartition: Uint32Array, touched: Uint32Array } {
  const partitions = new Uint32Array(count)
  const perPartition = new Uint32Array(PARTITION_COUNT)
  for (let i = 0; i < count; i++) {
    const p = partitionOfDigest(createHash('sha256').update(`chunk ${i}`).digest())
    partitions[i] = p
    perPartition[p] = (perPartition[p] as number) + 1
  }
  const touched: number[] = []
  for (let p = 0; p < PARTITION_COUNT; p++) if (perPartition[p] !== 0) touched.push(p)
  return { partitions, perPartition, touched: Uint32Array.from(touched) }
}

/**
 * The balance that perfect placement (every chunk placed independently,
 * exactly by weight) would still show with this many chunk ids: each node's
 * load is then binomial, simulated here by its normal approximation. Returns
 * the median and the 95th percentile of max/mean over many draws.
 */
function samplingFloor (nodes: readonly ClusterNode[], chunkCount: number): { median: number, p95: number } {
  const rnd = prng(0x5eed)
  const W = totalWeight(nodes)
  const draws: number[] = []
  for (let d = 0; d < 1000; d++) {
    let sum = 0
    let max = 0
    for (const nd of nodes) {
      const share = Math.min(1, REPLICAS * nd.weight / W)
      const fair = chunkCount * share
      const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
      const ratio = (fair + z * Math.sqrt(chunkCount * share * (1 - share))) / fair
      sum += ratio
      max = Math.max(max, ratio)
    }
    draws.push(max / (sum / nodes.length))
  }
  draws.sort((a, b) => a - b)
  return { median: draws[Math.floor(draws.length / 2)] ?? NaN, p95: draws[Math.floor(draws.length * 0.95)] ?? NaN }
}

/** max / mean over nodes of load / fair share, where fair share is given per node. */
function maxOverMean (nodes: readonly ClusterNode[], load: ReadonlyMap<string, number>, fair: (n: ClusterNode) => number): number {
  const ratios = nodes.map(n => (load.get(n.peerId) ?? 0) / fair(n))
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length
  return Math.max(...ratios) / mean
}

function loads (map: ClusterMap, policy: PlacementPolicy, touched: Uint32Array, perPartition: Uint32Array): Map<string, number> {
  const placement = createPlacement(map)
  const load = new Map<string, number>()
  for (const p of touched) {
    for (const n of placement.replicaSet(p, policy).nodes) load.set(n.peerId, (load.get(n.peerId) ?? 0) + (perPartition[p] as number))
  }
  return load
}

const totalWeight = (nodes: readonly ClusterNode[]): number => nodes.reduce((a, n) => a + n.weight, 0)

async function runSize (n: number, data: ReturnType<typeof chunks>, chunkCount: number, partitionBalance: boolean): Promise<void> {
  const rnd = prng(n)
  const nodes: ClusterNode[] = []
  for (let i = 0; i < n; i++) nodes.push(makeNode(`n${n}-${i}`, 1 + Math.floor(rnd() * 4), i % 3, `${i}`))
  const map: ClusterMap = { version: 1, nodes }
  const { partitions, perPartition, touched } = data
  const label = (s: string): string => `N=${n} ${s}`

  // first lookups: each a full rendezvous pass, filling the shared cache
  const placement = createPlacement(map)
  let t = performance.now()
  for (const p of touched) placement.replicaSet(p, HOST_SPREAD)
  const uncached = touched.length / ((performance.now() - t) / 1000)
  record({ scenario: SCENARIO, metric: label('uncached lookups'), value: uncached, unit: 'lookups/s' })

  let best = 0
  for (let rep = 0; rep < 3; rep++) {
    t = performance.now()
    let sink = 0
    for (const p of partitions) sink += placement.replicaSet(p, HOST_SPREAD).nodes.length
    if (sink !== chunkCount * REPLICAS) throw new Error('lookups went wrong')
    best = Math.max(best, chunkCount / ((performance.now() - t) / 1000))
    await new Promise(resolve => setImmediate(resolve))
  }
  record({
    scenario: SCENARIO,
    metric: label('cached lookups (best of 3)'),
    value: best,
    unit: 'lookups/s',
    ...(n === 100 ? { target: '>= 1,000,000', met: best >= 1_000_000 } : {})
  })

  const W = totalWeight(nodes)
  const hostLoad = loads(map, HOST_SPREAD, touched, perPartition)
  const balance = maxOverMean(nodes, hostLoad, nd => REPLICAS * chunkCount * nd.weight / W)
  const balanceTarget = n === 100 ? 1.05 : n === 1000 ? 1.10 : undefined
  const floor = samplingFloor(nodes, chunkCount)
  record({
    scenario: SCENARIO,
    metric: label('max/mean load per weight, host spread'),
    value: balance,
    unit: 'ratio',
    ceiling: floor.median,
    ceilingName: 'perfect placement of as many ids, median',
    ...(balanceTarget != null ? { target: `<= ${balanceTarget.toFixed(2)}`, met: balance <= balanceTarget } : {})
  })
  record({ scenario: SCENARIO, metric: label('max/mean, perfect placement of as many ids, p95'), value: floor.p95, unit: 'ratio' })
  if (partitionBalance) {
    // every partition counted once: the placement's own balance, without the ids' sampling noise
    const all = new Uint32Array(PARTITION_COUNT).fill(1)
    const every = Uint32Array.from({ length: PARTITION_COUNT }, (_, p) => p)
    const partLoad = loads(map, HOST_SPREAD, every, all)
    record({ scenario: SCENARIO, metric: label('max/mean partitions per weight, all partitions'), value: maxOverMean(nodes, partLoad, nd => REPLICAS * PARTITION_COUNT * nd.weight / W), unit: 'ratio' })
  }
  if (n <= 100) {
    // one replica per zone per partition: a node's fair share is its weight's share of its own zone
    const zoneWeight = new Map<string, number>()
    for (const nd of nodes) zoneWeight.set(nd.zone.split('/')[0] ?? '', (zoneWeight.get(nd.zone.split('/')[0] ?? '') ?? 0) + nd.weight)
    const zoneLoad = loads(map, ZONE_SPREAD, touched, perPartition)
    const zoneBalance = maxOverMean(nodes, zoneLoad, nd => chunkCount * nd.weight / (zoneWeight.get(nd.zone.split('/')[0] ?? '') ?? 1))
    record({ scenario: SCENARIO, metric: label('max/mean load per zone-fair share, zone spread'), value: zoneBalance, unit: 'ratio' })
  }

  const bytesOf = (p: number): number => (perPartition[p] as number) * CHUNK_BYTES
  const replicaBytes = REPLICAS * chunkCount * CHUNK_BYTES
  const trial = (kind: 'join' | 'leave'): void => {
    let moved = 0
    let optimal = 0
    let worst = 0
    let oldToOld = 0
    for (const [k, weight] of TRIAL_WEIGHTS.entries()) {
      let after: ClusterMap
      let mover: ClusterNode
      if (kind === 'join') {
        mover = makeNode(`n${n}-join${k}`, weight, k % 3, `join${k}`)
        after = { version: 2, nodes: [...nodes, mover] }
      } else {
        // the first node of that weight leaves
        mover = nodes.find(nd => nd.weight === weight) ?? nodes[k] as ClusterNode
        after = { version: 2, nodes: nodes.filter(nd => nd !== mover) }
      }
      const diff = diffMaps(map, after, HOST_SPREAD, { partitions: touched, partitionBytes: bytesOf })
      const fair = replicaBytes * mover.weight / totalWeight(kind === 'join' ? after.nodes : nodes)
      moved += diff.bytesToCopy
      optimal += fair
      worst = Math.max(worst, diff.bytesToCopy / fair)
      for (const [id, m] of diff.peers) {
        // a join should only give to the joiner, a leave only take from the leaver
        if (id !== mover.peerId) oldToOld += kind === 'join' ? m.gained : m.lost
      }
    }
    record({ scenario: SCENARIO, metric: label(`${kind}: bytes moved / fair share (4 trials, w=1..4)`), value: moved / optimal, unit: 'x optimal', target: '<= 1.05', met: moved / optimal <= 1.05 })
    record({ scenario: SCENARIO, metric: label(`${kind}: worst single trial`), value: worst, unit: 'x optimal', target: '<= 1.05', met: worst <= 1.05 })
    record({ scenario: SCENARIO, metric: label(`${kind}: partitions moved between two old nodes`), value: oldToOld, unit: 'partitions', target: '0', met: oldToOld === 0 })
  }
  trial('join')
  trial('leave')
}

export default async function placementScenario (args: string[]): Promise<void> {
  const sizes = (option(args, 'sizes') ?? '10,100,1000').split(',').map(Number)
  const chunkCount = Number(option(args, 'chunks') ?? 1_000_000)
  const started = performance.now()
  const data = chunks(chunkCount)
  console.log(`placement: ${chunkCount} chunk ids over ${data.touched.length} of ${PARTITION_COUNT} partitions`)
  for (const n of sizes) {
    await runSize(n, data, chunkCount, args.includes('--partition-balance'))
  }
  console.log(`placement: done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
}
