import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateMeshKey, NODE_PROCESS_V8_FLAGS } from '@weft/node'
import { numberOption, parseArgs } from './harness/args.js'
import { startCeilingPair } from './harness/ceilings.js'
import { describeLoad, measureBackgroundLoad, watchContention } from './harness/machine.js'
import { spawnWorker } from './harness/spawn-worker.js'
import { makeTempRoot, removeTempRoot } from './harness/temp.js'
import { LONG_REQUEST_MS, getSamples, putSamples } from './harness/weft-runs.js'
import { fmt, note, record } from './report.js'
import type { Worker } from './harness/spawn-worker.js'
import type { HealInit, HealStatus } from '@weft/node'

/**
 * `rebalance`: a mesh of three node processes holding a dataset (r = 3, so
 * every node holds all of it) gains a fourth. Measures how many bytes the
 * reconcilers copy against the ideal (exactly what the new node owns now,
 * each byte once), how long until every node's last pass finds nothing to
 * do, the copy rate beside raw TCP measured in the same run, and a client's
 * read throughput during the rebalance as a fraction of the same reads
 * before it.
 *
 * `npm run bench -- rebalance [--full] [--bytes=1Gi]`: quick 256 MiB,
 * `--full` 1 GiB, in 4 MiB objects. The reconcilers run with their default
 * limits (200 MB/s and 4 copies in flight per node; they yield to client
 * requests) except a 1 s settle delay.
 */

const SCENARIO = 'rebalance'
const MiB = 1024 * 1024
const OBJECT_BYTES = 4 * MiB
const HEAL: HealInit = { settleMs: 1000, retryMs: 500 }
const NODE_SCRIPT = new URL('./workers/mesh-node.js', import.meta.url)
const CLIENT_SCRIPT = new URL('./workers/weft-client.js', import.meta.url)
const SETTLE_TIMEOUT_MS = 15 * 60_000
const READ_SLICE_SECONDS = 2
const BASELINE_SECONDS = 10

interface NodeHello { ready: boolean, peerId: string, addrs: string[] }
interface HealAnswer { status: HealStatus, store: { usedBytes: number, chunkCount: number }, up: number, rssBytes: number }

export default async function rebalance (argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const bytes = numberOption(args, 'bytes', args.full ? 1024 * MiB : 256 * MiB)
  const count = Math.max(1, Math.round(bytes / OBJECT_BYTES))
  note(SCENARIO, `${args.full ? 'full' : 'QUICK (--full for 1 GiB)'}: ${count} objects of 4 MiB (${fmt(count * OBJECT_BYTES / MiB)} MiB, r = 3) on 3 node processes, then a 4th joins; reads of the same objects (4 in flight) run before and during the rebalance; 1 MB = 1e6 B`)
  note(SCENARIO, `before: ${describeLoad(await measureBackgroundLoad())}`)

  const root = await makeTempRoot(SCENARIO)
  const meshKey = new TextDecoder().decode(generateMeshKey())
  const env = { WEFT_BENCH_MESH_KEY: meshKey, WEFT_BENCH_NODES: '3', WEFT_BENCH_HEAL: JSON.stringify(HEAL) }
  const nodes: Array<Worker<NodeHello>> = []
  let client: Worker | undefined
  const tcp = await startCeilingPair('tcp', { cpuProf: args.cpuProf })
  try {
    const ceiling = await tcp.throughput({ bytes: 512 * MiB, runs: 1 })
    record({ scenario: SCENARIO, metric: 'raw TCP MB/s, 1 connection (this run)', value: ceiling.mbps, unit: 'MB/s' })

    const spawn = async (i: number, seeds: string[]): Promise<Worker<NodeHello>> =>
      await spawnWorker<NodeHello>(NODE_SCRIPT, [path.join(root, `n${i}`), `bench/dc1/r1/h${i}`, ...seeds], { env, execArgv: [...NODE_PROCESS_V8_FLAGS], name: `${SCENARIO}-node-${i}`, cpuProf: args.cpuProf })
    nodes.push(await spawn(0, []))
    const seed = nodes[0]!.hello.addrs[0]!
    nodes.push(...await Promise.all([1, 2].map(async i => spawn(i, [seed]))))
    await until(async () => (await status(nodes)).every(s => s.up === 3), 60_000, 'three nodes up')
    client = await spawnWorker(CLIENT_SCRIPT, [seed], { env, name: `${SCENARIO}-client` })
    const samples = { bucket: 'rebalance', prefix: 'obj', count, size: OBJECT_BYTES }
    await putSamples(client, { ...samples, concurrency: 4 })
    // the fill leaves nothing to move: every chunk is on its 3 owners
    await untilSettled(nodes, 0)

    const baseline = await readFor(client, samples, BASELINE_SECONDS)
    const before = await status(nodes)
    const copiedBefore = sum(before.map(s => s.status.totals.copiedBytes))
    const passesBefore = before.map(s => s.status.totals.passes)

    const pids = [...nodes.map(n => n.pid), client.pid, tcp.client.pid, tcp.server.pid]
    const joinedAt = performance.now()
    nodes.push(await spawn(3, [seed]))
    pids.push(nodes[3]!.pid)
    const contention = watchContention(pids)
    const during: Array<{ bytes: number, seconds: number }> = []
    let settledAt = 0
    // when the last byte was copied: the copy phase, apart from the passes that then confirm and delete
    let copiedAt = joinedAt
    let copiedSoFar = copiedBefore
    const settle = untilSettled(nodes, 4, passesBefore, all => {
      const now = sum(all.map(s => s.status.totals.copiedBytes))
      if (now !== copiedSoFar) {
        copiedSoFar = now
        copiedAt = performance.now()
      }
    }).then(() => { settledAt = performance.now() })
    let done = false
    void settle.finally(() => { done = true })
    while (!done) during.push(await readFor(client, samples, READ_SLICE_SECONDS))
    await settle
    const others = contention.stop().othersShare

    const after = await status(nodes)
    const seconds = (settledAt - joinedAt) / 1000
    const moved = sum(after.map(s => s.status.totals.copiedBytes)) - copiedBefore
    const ideal = after[3]!.store.usedBytes
    const unique = count * OBJECT_BYTES
    const fairShare = unique * 3 / 4
    record({ scenario: SCENARIO, metric: 'bytes copied / ideal (what the new node owns, once)', value: moved / ideal, unit: 'x', target: '<= 1.1', met: moved / ideal <= 1.1, detail: { moved, ideal } })
    record({ scenario: SCENARIO, metric: 'new node holds / its fair share (3/4 of the data, equal weights)', value: ideal / fairShare, unit: 'x', detail: { ideal, fairShare } })
    record({ scenario: SCENARIO, metric: 'time to settle after the join', value: seconds, unit: 's', detail: { othersCpuShare: others } })
    const rate = moved / 1e6 / seconds
    record({ scenario: SCENARIO, metric: 'rebalance copy rate (join to settled)', value: rate, unit: 'MB/s', ceiling: ceiling.mbps, ceilingName: 'raw TCP' })
    const copySeconds = (copiedAt - joinedAt) / 1000
    record({ scenario: SCENARIO, metric: 'copy phase (join to the last byte copied)', value: copySeconds, unit: 's' })
    record({ scenario: SCENARIO, metric: 'copy rate within the copy phase', value: moved / 1e6 / copySeconds, unit: 'MB/s', ceiling: ceiling.mbps, ceilingName: 'raw TCP' })
    const duringMBps = sum(during.map(d => d.bytes)) / 1e6 / sum(during.map(d => d.seconds))
    record({ scenario: SCENARIO, metric: 'client reads during the rebalance', value: duringMBps, unit: 'MB/s', ceiling: baseline.bytes / 1e6 / baseline.seconds, ceilingName: 'the same reads before it' })
    const stale = after.filter(s => s.status.totals.chunksDeleted === 0 && s !== after[3]).length
    note(SCENARIO, `moved ${fmt(moved / MiB)} MiB in ${fmt(seconds)} s; ${sum(after.map(s => s.status.totals.chunksDeleted))} surplus copies deleted on ${3 - stale} of the 3 old nodes; other processes used ${fmt(others * 100)}% of the machine meanwhile`)
    after.forEach((s, i) => { record({ scenario: SCENARIO, metric: `node ${i} RSS after the rebalance`, value: s.rssBytes / MiB, unit: 'MiB' }) })
  } finally {
    await client?.stop()
    await Promise.all(nodes.map(async n => n.stop()))
    await tcp.stop()
    await removeTempRoot(root)
  }
}

async function readFor (client: Worker, samples: { bucket: string, prefix: string, count: number, size: number }, seconds: number): Promise<{ bytes: number, seconds: number }> {
  const r = await getSamples(client, { ...samples, concurrency: 4, seed: Math.floor(Math.random() * 1e9), maxSeconds: seconds })
  return { bytes: r.bytes, seconds: r.seconds }
}

async function status (nodes: Array<Worker<NodeHello>>): Promise<HealAnswer[]> {
  return Promise.all(nodes.map(async n => n.request<HealAnswer>({ op: 'heal' }, { timeoutMs: LONG_REQUEST_MS })))
}

function sum (xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0)
}

async function until (predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(250)
  }
}

/**
 * Every node sees `members` up (when given), has run a pass since
 * `passesBefore`, and its last pass found nothing to do, twice in a row
 * (a node that has not noticed a change yet would otherwise count as done).
 */
async function untilSettled (nodes: Array<Worker<NodeHello>>, members: number, passesBefore: number[] = [], onStatus?: (all: HealAnswer[]) => void): Promise<void> {
  let streak = 0
  await until(async () => {
    const all = await status(nodes)
    onStatus?.(all)
    const ok = all.every((s, i) => (members === 0 || s.up === members) && s.status.settled && s.status.state === 'idle' && s.status.totals.passes > (passesBefore[i] ?? 0))
    streak = ok ? streak + 1 : 0
    return streak >= 2
  }, SETTLE_TIMEOUT_MS, 'the reconcilers to settle')
}
