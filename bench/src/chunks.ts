import path from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { generateMeshKey, NODE_PROCESS_V8_FLAGS } from '@weft/node'
import { createPlacement, partitionOfDigest } from '@weft/placement'
import { planChunkWrite, writeChunk } from '@weft/protocol'
import { ChunkSet, runConcurrently, startBenchClient } from './chunks-client.js'
import { numberOption, parseArgs } from './harness/args.js'
import { measureLibp2pStreamMBps } from './harness/ceilings.js'
import { describeLoad, measureBackgroundLoad, watchContention } from './harness/machine.js'
import { sampleRss } from './harness/rss.js'
import { spawnWorker } from './harness/spawn-worker.js'
import { makeTempRoot, removeTempRoot } from './harness/temp.js'
import { mbps, percentile, sortedCopy } from './harness/stats.js'
import { fmt, note, record } from './report.js'
import type { BenchClient } from './chunks-client.js'
import type { Worker } from './harness/spawn-worker.js'
import type { ClusterMap, PlacementPolicy } from '@weft/placement'

/**
 * `chunks`: the chunk protocol between node processes, beside one libp2p
 * stream measured in the same run.
 *
 * - put / get: 4 MiB chunks between this process (a client peer: libp2p
 *   host with the mesh key and a ChunkClient, no node) and one node process,
 *   r = 1, at concurrency 1 and `--concurrency` (default 4). A put returns
 *   once the node verified the hash, fsynced the file and its directory, and
 *   indexed it; a get is hashed by the client as it arrives.
 * - chain write, r = 3, three node processes: writeChunk with placement over
 *   the map a node serves, so each chunk goes to its own replica set in its
 *   own order; MB/s counts each chunk byte once (what the writer sent).
 * - HAS round trip, and a re-write of stored chunks with and without `probe`
 *   (the chain rows use writeChunk's default, which probes 4 MiB chunks).
 *
 * `npm run bench -- chunks [--bytes=256Mi] [--chunk-size=4Mi] [--concurrency=4] [--ceiling-bytes=256Mi] [--full]`
 */

const SCENARIO = 'chunks'
const MiB = 1024 * 1024
const NODE_WORKER = new URL('./workers/mesh-node.js', import.meta.url)
const POLICY: PlacementPolicy = { replicas: 3, spread: 'host' }

interface NodeHello { ready: boolean, peerId: string, addrs: string[] }
interface NodeUsage { cpuUsage: { user: number, system: number }, maxRssKiB: number }

export default async function chunks (argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const phaseBytes = numberOption(args, 'bytes', args.full ? 1024 * MiB : 128 * MiB)
  const chunkSize = numberOption(args, 'chunk-size', 4 * MiB)
  const concurrency = numberOption(args, 'concurrency', 4)
  const ceilingBytes = numberOption(args, 'ceiling-bytes', phaseBytes)
  const count = Math.max(1, Math.round(phaseBytes / chunkSize))
  note(SCENARIO, `${count} chunks of ${fmt(chunkSize / MiB)} MiB per phase (${fmt(count * chunkSize / MiB)} MiB); node processes run createNode (TCP + pnet + Noise + yamux, store fsyncs every chunk); client = this process; 1 MB = 1e6 B`)
  note(SCENARIO, `before: ${describeLoad(await measureBackgroundLoad())}`)

  const ceiling = await measureLibp2pStreamMBps({ bytes: ceilingBytes, runs: 3, cpuProf: args.cpuProf })
  record({ scenario: SCENARIO, metric: 'libp2p stream MB/s, 1 stream (ceiling, this run)', value: ceiling.mbps, unit: 'MB/s', detail: { runs: ceiling.runs, bytes: ceilingBytes } })
  const beside = { ceiling: ceiling.mbps, ceilingName: 'libp2p stream' }

  const meshKey = new TextDecoder().decode(generateMeshKey())
  const env = { WEFT_BENCH_MESH_KEY: meshKey }
  const nodes: Array<Worker<NodeHello>> = []
  const root = await makeTempRoot(SCENARIO)
  let client: BenchClient | undefined
  try {
    nodes.push(await spawnWorker<NodeHello>(NODE_WORKER, [path.join(root, 'n0'), 'bench/dc1/r1/h0'], { env, execArgv: [...NODE_PROCESS_V8_FLAGS], name: 'chunks-node-0', cpuProf: args.cpuProf }))
    const seed = nodes[0]!.hello.addrs[0] ?? ''
    nodes.push(...await Promise.all([1, 2].map(async i => spawnWorker<NodeHello>(NODE_WORKER, [path.join(root, `n${i}`), `bench/dc1/r1/h${i}`, seed], { env, execArgv: [...NODE_PROCESS_V8_FLAGS], name: `chunks-node-${i}`, cpuProf: args.cpuProf }))))
    const ids = nodes.map(n => n.hello.peerId)
    await converged(nodes, ids)
    client = await startBenchClient(meshKey, nodes.map(n => n.hello.addrs))
    const c = client.client
    const [a] = nodes as [Worker<NodeHello>]
    const aId = peerIdFromString(a.hello.peerId)

    // --- put and get, r = 1, client -> node A
    const puts = await ChunkSet.create(chunkSize, count)
    const putLatencyMs: number[] = []
    for (const conc of uniq([1, concurrency])) {
      const set = conc === 1 ? puts : await ChunkSet.create(chunkSize, count)
      const before = await a.request<NodeUsage>({ op: 'usage' })
      const rss = sampleRss(a.pid)
      const contention = watchContention(nodes.map(n => n.pid))
      const t0 = performance.now()
      await runConcurrently(set.count, conc, async i => {
        const s = performance.now()
        const r = await c.put(aId, set.cids[i]!, set.bytes(i))
        if (r.stored.length !== 1) throw new Error(`put failed: ${r.failed.map(f => f.code).join(', ')}`)
        if (conc === 1) putLatencyMs.push(performance.now() - s)
      })
      const seconds = (performance.now() - t0) / 1000
      const others = contention.stop().othersShare
      rss.stop()
      const after = await a.request<NodeUsage>({ op: 'usage' })
      const bytes = set.count * chunkSize
      record({ scenario: SCENARIO, metric: `put r=1, c=${conc}`, value: mbps(bytes, seconds), unit: 'MB/s', ...beside, detail: { bytes, seconds, othersCpuShare: others } })
      record({ scenario: SCENARIO, metric: `put r=1, c=${conc}: node CPU per GB received`, value: cpuSeconds(before, after) / (bytes / 1e9), unit: 's/GB', ceiling: ceiling.receiverCpuSecondsPerGB, ceilingName: 'libp2p stream receiver' })
      if (conc !== 1) record({ scenario: SCENARIO, metric: `put r=1, c=${conc}: node peak RSS`, value: rss.read().peakBytes / MiB, unit: 'MiB' })
      if (conc === 1) {
        const sorted = sortedCopy(putLatencyMs)
        record({ scenario: SCENARIO, metric: `put r=1 of ${fmt(chunkSize / MiB)} MiB, c=1: p50 latency`, value: percentile(sorted, 50), unit: 'ms', detail: { p90: percentile(sorted, 90), max: sorted.at(-1) } })
      }
    }
    for (const conc of uniq([1, concurrency])) {
      const contention = watchContention(nodes.map(n => n.pid))
      const t0 = performance.now()
      let bytes = 0
      await runConcurrently(puts.count, conc, async i => {
        // the client hashes a whole-chunk read and throws if it does not match the id
        for await (const buf of c.get(aId, puts.cids[i]!)) bytes += buf.byteLength
      })
      const seconds = (performance.now() - t0) / 1000
      record({ scenario: SCENARIO, metric: `get (verified), c=${conc}`, value: mbps(bytes, seconds), unit: 'MB/s', ...beside, detail: { bytes, seconds, othersCpuShare: contention.stop().othersShare } })
    }

    // --- chain write, r = 3, over placement
    const map = (await a.request<{ map: ClusterMap }>({ op: 'map' })).map
    const placement = createPlacement(map)
    const chain = await ChunkSet.create(chunkSize, count)
    const heads = new Map<string, number>()
    for (const conc of uniq([1, concurrency])) {
      const set = conc === 1 ? chain : await ChunkSet.create(chunkSize, count)
      const usage0 = await Promise.all(nodes.map(async n => n.request<NodeUsage>({ op: 'usage' })))
      const contention = watchContention(nodes.map(n => n.pid))
      const t0 = performance.now()
      let handedOff = 0
      await runConcurrently(set.count, conc, async i => {
        const cid = set.cids[i]!
        const p = partitionOfDigest(cid.multihash.digest)
        const plan = planChunkWrite({ replicaSet: placement.replicaSet(p, POLICY).nodes.map(n => n.peerId), fallbacks: placement.fallbacks(p, POLICY).map(n => n.peerId), replicas: 3 })
        heads.set(plan.targets[0]!, (heads.get(plan.targets[0]!) ?? 0) + 1)
        const r = await writeChunk({ client: c, ...plan, replicas: 3, cid, bytes: set.bytes(i) })
        handedOff += r.handedOff.length
      })
      const seconds = (performance.now() - t0) / 1000
      const usage1 = await Promise.all(nodes.map(async n => n.request<NodeUsage>({ op: 'usage' })))
      const bytes = set.count * chunkSize
      const nodeCpu = usage1.reduce((s, u, i) => s + cpuSeconds(usage0[i]!, u), 0)
      record({ scenario: SCENARIO, metric: `chain write r=3 (3 node processes), c=${conc}`, value: mbps(bytes, seconds), unit: 'MB/s', ...beside, detail: { bytes, seconds, handedOff, othersCpuShare: contention.stop().othersShare, nodeCpuSeconds: nodeCpu } })
    }
    note(SCENARIO, `chain heads: ${[...heads.values()].join(' / ')} chunks started at each of the 3 nodes (placement spreads them)`)

    // --- HAS round trip, and re-writing stored chunks with and without a probe
    const has: number[] = []
    for (let i = 0; i < 1000; i++) {
      const s = performance.now()
      await c.has(aId, [puts.cids[i % puts.count]!])
      has.push((performance.now() - s) * 1000)
    }
    const hasSorted = sortedCopy(has.slice(100))
    record({ scenario: SCENARIO, metric: 'HAS round trip (1 id, pooled stream) p50', value: percentile(hasSorted, 50), unit: 'µs', detail: { p99: percentile(hasSorted, 99) } })
    const again = Math.min(chain.count, 16)
    for (const probe of [false, true]) {
      const t0 = performance.now()
      for (let i = 0; i < again; i++) {
        const cid = chain.cids[i]!
        const p = partitionOfDigest(cid.multihash.digest)
        const plan = planChunkWrite({ replicaSet: placement.replicaSet(p, POLICY).nodes.map(n => n.peerId), fallbacks: placement.fallbacks(p, POLICY).map(n => n.peerId), replicas: 3 })
        const r = await writeChunk({ client: c, ...plan, replicas: 3, cid, bytes: chain.bytes(i), probe })
        if (r.existed.length !== 3) throw new Error('re-write did not find the chunk on all 3 replicas')
      }
      record({ scenario: SCENARIO, metric: `re-write of a stored ${fmt(chunkSize / MiB)} MiB chunk, r=3, ${probe ? 'probe (HAS first)' : 'no probe'}`, value: (performance.now() - t0) / again, unit: 'ms', detail: { chunks: again } })
    }
    note(SCENARIO, `put r=1 c=1 takes ${fmt(percentile(sortedCopy(putLatencyMs), 50))} ms per chunk; a probe adds one HAS round trip (${fmt(percentile(hasSorted, 50) / 1000)} ms) to a fresh write. writeChunk's default ('auto') probes chunks of 1 MiB and more, as in the chain rows above`)
  } finally {
    await client?.stop()
    await Promise.all(nodes.map(async n => n.stop()))
    await removeTempRoot(root)
  }
}

async function converged (nodes: Array<Worker<NodeHello>>, ids: string[]): Promise<void> {
  const deadline = performance.now() + 30_000
  for (;;) {
    const views = await Promise.all(nodes.map(async n => n.request<{ up: string[] }>({ op: 'members' })))
    if (views.every(v => ids.every(id => v.up.includes(id)))) return
    if (performance.now() > deadline) throw new Error('node processes did not converge in 30 s')
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

function cpuSeconds (before: NodeUsage, after: NodeUsage): number {
  return (after.cpuUsage.user - before.cpuUsage.user + after.cpuUsage.system - before.cpuUsage.system) / 1e6
}

function uniq (values: number[]): number[] {
  return [...new Set(values)]
}
