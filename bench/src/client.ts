import path from 'node:path'
import { generateMeshKey, NODE_PROCESS_V8_FLAGS } from '@weft/node'
import { numberOption, parseArgs } from './harness/args.js'
import { measureLibp2pStreamMBps } from './harness/ceilings.js'
import { describeLoad, measureBackgroundLoad, watchContention } from './harness/machine.js'
import { sampleRss } from './harness/rss.js'
import { spawnWorker } from './harness/spawn-worker.js'
import { makeTempRoot, removeTempRoot } from './harness/temp.js'
import { mbps, median } from './harness/stats.js'
import { fmt, note, record } from './report.js'
import type { Worker } from './harness/spawn-worker.js'

/**
 * `client`: the embeddable client (@weft/client) in its own process against
 * three node processes (createNode: store with fsync, chunk and ref
 * services), r = 3, 4 MiB chunks.
 *
 * - client RSS: peak resident set of the client process while it puts an
 *   object streamed from a generator (`--object-bytes`, 2 GiB with
 *   `--full`), then while it gets it back (every byte verified). Target
 *   < 200 MiB.
 * - get throughput: the first `--get-bytes` (1 GiB with `--full`) of that
 *   object, through `client.get` (manifest, replica order, hedging,
 *   verification, in-order delivery), beside the chunk-protocol ceiling of
 *   the same run: the same chunks through the bare chunk client (no
 *   manifest walk, no hashing, no hedging) at the same concurrency, spread
 *   over the replicas; and beside one libp2p stream (the transport both run on).
 *
 * Quick mode (the default) uses 256 MiB and 128 MiB; say so when quoting.
 *
 * `npm run bench -- client [--full] [--object-bytes=2Gi] [--get-bytes=1Gi] [--runs=3]`
 */

const SCENARIO = 'client'
const MiB = 1024 * 1024
const NODE_WORKER = new URL('./workers/mesh-node.js', import.meta.url)
const CLIENT_WORKER = new URL('./workers/client-worker.js', import.meta.url)
/** the client's read-ahead (DEFAULT_READ_AHEAD_CHUNKS): the ceiling runs as many requests at once */
const CONCURRENCY = 8

interface NodeHello { ready: boolean, peerId: string, addrs: string[] }

export default async function client (argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const objectBytes = numberOption(args, 'object-bytes', args.full ? 2048 * MiB : 256 * MiB)
  const getBytes = Math.min(objectBytes, numberOption(args, 'get-bytes', args.full ? 1024 * MiB : 128 * MiB))
  const runs = numberOption(args, 'runs', args.full ? 3 : 1)
  note(SCENARIO, `${args.full ? 'full' : 'QUICK (smaller sizes; --full for 2 GiB / 1 GiB)'}: object ${fmt(objectBytes / MiB)} MiB, get ${fmt(getBytes / MiB)} MiB x ${runs}; 3 node processes + 1 client process, r = 3, 4 MiB chunks, mesh key (pnet) + Noise + yamux; 1 MB = 1e6 B`)
  note(SCENARIO, `before: ${describeLoad(await measureBackgroundLoad())}`)

  const ceiling = await measureLibp2pStreamMBps({ bytes: Math.min(getBytes, 256 * MiB), runs: 1 })
  record({ scenario: SCENARIO, metric: 'libp2p stream MB/s, 1 stream (this run)', value: ceiling.mbps, unit: 'MB/s' })

  const meshKey = new TextDecoder().decode(generateMeshKey())
  const env = { WEFT_BENCH_MESH_KEY: meshKey, WEFT_BENCH_NODES: '3' }
  const nodes: Array<Worker<NodeHello>> = []
  const root = await makeTempRoot(SCENARIO)
  let worker: Worker | undefined
  try {
    nodes.push(await spawnWorker<NodeHello>(NODE_WORKER, [path.join(root, 'n0'), 'bench/dc1/r1/h0'], { env, execArgv: [...NODE_PROCESS_V8_FLAGS], name: 'client-node-0' }))
    const seed = nodes[0]!.hello.addrs[0] ?? ''
    nodes.push(...await Promise.all([1, 2].map(async i => spawnWorker<NodeHello>(NODE_WORKER, [path.join(root, `n${i}`), `bench/dc1/r1/h${i}`, seed], { env, execArgv: [...NODE_PROCESS_V8_FLAGS], name: `client-node-${i}` }))))
    worker = await spawnWorker(CLIENT_WORKER, [seed], { env, name: 'client-worker', cpuProf: args.cpuProf })
    const w = worker
    const pids = [w.pid, ...nodes.map(n => n.pid)]

    // --- put, then get the whole object: the client's RSS
    let rss = sampleRss(w.pid, 25)
    let contention = watchContention(pids)
    const put = await w.request<{ ms: number, size: number }>({ op: 'put', bucket: 'bench', key: 'big', bytes: objectBytes, replicas: 3 }, { timeoutMs: 3_600_000 })
    const putRss = rss.stop()
    record({ scenario: SCENARIO, metric: `put ${fmt(objectBytes / MiB)} MiB, r=3`, value: mbps(objectBytes, put.ms / 1000), unit: 'MB/s', ceiling: ceiling.mbps, ceilingName: 'libp2p stream', detail: { ms: put.ms, othersCpuShare: contention.stop().othersShare } })
    record({ scenario: SCENARIO, metric: `client peak RSS during the ${fmt(objectBytes / MiB)} MiB put`, value: putRss.peakBytes / MiB, unit: 'MiB', target: '< 200 MiB', met: putRss.peakBytes < 200 * MiB, detail: { hwm: putRss.hwmBytes / MiB, samples: putRss.samples } })

    rss = sampleRss(w.pid, 25)
    contention = watchContention(pids)
    const whole = await w.request<{ ms: number, bytes: number }>({ op: 'get', bucket: 'bench', key: 'big' }, { timeoutMs: 3_600_000 })
    const getRss = rss.stop()
    if (whole.bytes !== objectBytes) throw new Error(`get returned ${whole.bytes} of ${objectBytes} bytes`)
    record({ scenario: SCENARIO, metric: `get ${fmt(objectBytes / MiB)} MiB (verified, in order)`, value: mbps(objectBytes, whole.ms / 1000), unit: 'MB/s', ceiling: ceiling.mbps, ceilingName: 'libp2p stream', detail: { ms: whole.ms, othersCpuShare: contention.stop().othersShare } })
    record({ scenario: SCENARIO, metric: `client peak RSS during the ${fmt(objectBytes / MiB)} MiB get`, value: getRss.peakBytes / MiB, unit: 'MiB', target: '< 200 MiB', met: getRss.peakBytes < 200 * MiB, detail: { hwm: getRss.hwmBytes / MiB } })

    // --- get throughput beside the chunk-protocol ceiling, alternating runs
    const weft: number[] = []
    const bare: number[] = []
    let last: Record<string, unknown> = {}
    for (let i = 0; i < runs; i++) {
      const c = await w.request<{ ms: number, bytes: number }>({ op: 'ceiling', bucket: 'bench', key: 'big', length: getBytes, concurrency: CONCURRENCY }, { timeoutMs: 3_600_000 })
      bare.push(mbps(c.bytes, c.ms / 1000))
      const g = await w.request<{ ms: number, bytes: number, stats: Record<string, unknown>, peers: Record<string, number> }>({ op: 'get', bucket: 'bench', key: 'big', length: getBytes }, { timeoutMs: 3_600_000 })
      weft.push(mbps(g.bytes, g.ms / 1000))
      last = { stats: g.stats, bytesPerPeer: g.peers }
    }
    const ceilingMBps = median(bare)
    record({ scenario: SCENARIO, metric: `chunk protocol ceiling: ${fmt(getBytes / MiB)} MiB of the same chunks, bare chunk client, ${CONCURRENCY} in flight`, value: ceilingMBps, unit: 'MB/s', ceiling: ceiling.mbps, ceilingName: 'libp2p stream', detail: { runs: bare } })
    record({ scenario: SCENARIO, metric: `single-client get of ${fmt(getBytes / MiB)} MiB from 3 node processes`, value: median(weft), unit: 'MB/s', ceiling: ceilingMBps, ceilingName: 'chunk protocol', detail: { runs: weft, ...last } })
    note(SCENARIO, `bytes served per node in the last get (client's view): ${JSON.stringify(last.bytesPerPeer)}; counters ${JSON.stringify(last.stats)}`)
  } finally {
    await worker?.stop()
    await Promise.all(nodes.map(async n => n.stop()))
    await removeTempRoot(root)
  }
  note(SCENARIO, `after: ${describeLoad(await measureBackgroundLoad())}`)
}
