import { numberOption, parseArgs } from './harness/args.js'
import { mergeThroughput, startCeilingPair } from './harness/ceilings.js'
import { measureFsyncedWrites } from './harness/disk.js'
import { describeLoad, measureBackgroundLoad, watchContention } from './harness/machine.js'
import { sampleRss } from './harness/rss.js'
import { largeGetKey, rememberFigure } from './harness/same-run.js'
import { median } from './harness/stats.js'
import { getLarge, putLarge, withWeft } from './harness/weft-runs.js'
import { fmt, note, record } from './report.js'
import type { ThroughputResult } from './harness/ceilings.js'
import type { RssStats } from './harness/rss.js'

/**
 * `throughput`: one client puts one large object into a mesh of three node
 * processes (r = 3), then reads it back whole, beside raw TCP measured in
 * the same run between two other processes. The raw TCP runs alternate with
 * the weft runs (TCP, put, TCP, get, TCP, get, ...), so load from outside
 * hits both alike.
 *
 * Figures: put and get MB/s with raw TCP beside them (targets: get >= 0.6 x,
 * put >= 0.25 x raw TCP), each get also with lent pieces (the client's
 * `reuseBuffers`, run right after it), and the peak RSS of each node and of
 * the client.
 * Beside them, what this one box allows at most, from the same run: TLS 1.3
 * on one connection (runs interleaved like raw TCP's) for the get, and the
 * disk's fsynced write rate over three writers, divided by r, for the put
 * (all replicas share that disk); and the CPU seconds per GB the client and
 * each node spent (two cores bound the sum).
 *
 * `npm run bench -- throughput [--full] [--bytes=1Gi] [--runs=3] [--cpu-prof]`
 * Quick (default) moves 256 MiB, `--full` 1 GiB.
 */

const SCENARIO = 'throughput'
const MiB = 1024 * 1024
const REPLICAS = 3
const GET_TARGET = 0.6
const PUT_TARGET = 0.25
/** the RSS figures are judged against the memory targets of the issue */
const NODE_LOAD_RSS_BUDGET_MIB = 300
const CLIENT_RSS_BUDGET_MIB = 200

export default async function throughput (argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const bytes = numberOption(args, 'bytes', args.full ? 1024 * MiB : 256 * MiB)
  const runs = Math.max(1, numberOption(args, 'runs', 3))
  const ceilingBytes = numberOption(args, 'ceiling-bytes', Math.min(bytes, 512 * MiB))
  const size = `${fmt(bytes / MiB)} MiB`
  note(SCENARIO, `${args.full ? 'full' : 'QUICK (--full for 1 GiB)'}: one object of ${size}, 3 node processes + 1 client process, r = 3; put once, get ${runs} times, then ${runs} times with lent pieces; raw TCP ${fmt(ceilingBytes / MiB)} MiB per run between two other processes, runs interleaved with weft's; 1 MB = 1e6 B`)
  note(SCENARIO, `before: ${describeLoad(await measureBackgroundLoad())}`)

  // the disk every replica writes to, and TLS on one connection: what this box allows a put and a get at most
  const disk = await measureFsyncedWrites({ bytes: Math.min(bytes, 256 * MiB), writers: REPLICAS })
  const tcp = await startCeilingPair('tcp', { cpuProf: args.cpuProf })
  const tls = await startCeilingPair('tls').catch(async (err: unknown) => { await tcp.stop(); throw err })
  try {
    const tcpRuns: ThroughputResult[] = [await tcp.throughput({ bytes: ceilingBytes, runs: 1 })]
    const tlsRuns: ThroughputResult[] = [await tls.throughput({ bytes: ceilingBytes, runs: 1 })]
    await withWeft({ name: SCENARIO, cpuProf: args.cpuProf }, async ({ mesh, client, pids }) => {
      const all = [...pids, tcp.client.pid, tcp.server.pid, tls.client.pid, tls.server.pid]
      const nodeRss = mesh.sampleRss()
      let clientRss = sampleRss(client.pid)
      let contention = watchContention(all)
      const put = await putLarge(client, 'bench', 'large', bytes)
      const putWindow = contention.stop()
      const putOthers = putWindow.othersShare
      const clientPut = clientRss.stop()

      const gets: number[] = []
      const extra: string[] = []
      const getOthers: number[] = []
      const getCpu: number[][] = []
      const lentGets: number[] = []
      const lentReused: number[] = []
      const lentCpu: number[][] = []
      clientRss = sampleRss(client.pid)
      for (let i = 0; i < runs; i++) {
        tcpRuns.push(await tcp.throughput({ bytes: ceilingBytes, runs: 1, warmupBytes: 0 }))
        tlsRuns.push(await tls.throughput({ bytes: ceilingBytes, runs: 1, warmupBytes: 0 }))
        contention = watchContention(all)
        const got = await getLarge(client, 'bench', 'large', bytes)
        gets.push(got.mbps)
        extra.push(`${got.hedges} hedges and ${got.failovers} failovers for ${got.chunks} chunks`)
        const window = contention.stop()
        getOthers.push(window.othersShare)
        getCpu.push(window.cpuSeconds)
      }
      const clientGet = clientRss.stop()
      // the same reads with lent pieces (reuseBuffers), each after a raw TCP run too
      clientRss = sampleRss(client.pid)
      for (let i = 0; i < runs; i++) {
        tcpRuns.push(await tcp.throughput({ bytes: ceilingBytes, runs: 1, warmupBytes: 0 }))
        contention = watchContention(all)
        const lent = await getLarge(client, 'bench', 'large', bytes, { reuse: true })
        lentGets.push(lent.mbps)
        lentReused.push(lent.buffersReused)
        lentCpu.push(contention.stop().cpuSeconds)
      }
      const clientLent = clientRss.stop()
      const nodes = nodeRss.stop()

      const ceiling = mergeThroughput(tcpRuns)
      const beside = { ceiling: ceiling.mbps, ceilingName: 'raw TCP' }
      record({ scenario: SCENARIO, metric: 'raw TCP MB/s, 1 connection (this run)', value: ceiling.mbps, unit: 'MB/s', detail: { runs: ceiling.runs.map(r => r.mbps), bytes: ceilingBytes } })
      const getMBps = median(gets)
      record({ scenario: SCENARIO, metric: `get ${size}, 1 client, 3 nodes`, value: getMBps, unit: 'MB/s', ...beside, target: `>= ${GET_TARGET} x raw TCP`, met: getMBps >= GET_TARGET * ceiling.mbps, detail: { runs: gets, othersCpuShare: getOthers } })
      record({ scenario: SCENARIO, metric: `put ${size}, r=3, 1 client, 3 nodes`, value: put.mbps, unit: 'MB/s', ...beside, target: `>= ${PUT_TARGET} x raw TCP`, met: put.mbps >= PUT_TARGET * ceiling.mbps, detail: { ms: put.ms, othersCpuShare: putOthers } })
      const tlsCeiling = mergeThroughput(tlsRuns)
      const tlsCpu = tlsCeiling.senderCpuSecondsPerGB + tlsCeiling.receiverCpuSecondsPerGB
      record({ scenario: SCENARIO, metric: 'TLS 1.3 MB/s, 1 connection (this run)', value: tlsCeiling.mbps, unit: 'MB/s', ...beside, detail: { runs: tlsCeiling.runs.map(r => r.mbps), cpuSecondsPerGB: tlsCpu, cipher: tlsCeiling.cipher } })
      record({ scenario: SCENARIO, metric: `get ${size} beside TLS 1.3 on one connection`, value: getMBps, unit: 'MB/s', ceiling: tlsCeiling.mbps, ceilingName: 'TLS 1.3' })
      const diskBound = disk.mbps / REPLICAS
      record({ scenario: SCENARIO, metric: `disk: fsynced 4 MiB file writes, ${REPLICAS} writers (this run)`, value: disk.mbps, unit: 'MB/s', ...beside })
      record({ scenario: SCENARIO, metric: `put ${size} beside the disk's bound at r=${REPLICAS} (disk / ${REPLICAS})`, value: put.mbps, unit: 'MB/s', ceiling: diskBound, ceilingName: `disk / ${REPLICAS}` })
      note(SCENARIO, `bounds on this box: every replica writes to one disk, so a put at r = ${REPLICAS} cannot beat ${fmt(diskBound)} MB/s = ${(diskBound / ceiling.mbps).toFixed(3)} x raw TCP (target ${PUT_TARGET} x); a get at ${GET_TARGET} x raw TCP may spend ${fmt(2 / (GET_TARGET * ceiling.mbps / 1000))} CPU s/GB on 2 cores in all, and TLS alone (send + receive, this run) costs ${fmt(tlsCpu)}`)
      const lentMBps = median(lentGets)
      record({ scenario: SCENARIO, metric: `get ${size}, pieces lent (reuseBuffers)`, value: lentMBps, unit: 'MB/s', ...beside, target: `>= ${GET_TARGET} x raw TCP`, met: lentMBps >= GET_TARGET * ceiling.mbps, detail: { runs: lentGets, buffersReused: lentReused } })
      rememberFigure(largeGetKey(bytes), { value: getMBps, unit: 'MB/s', what: `weft get of ${size} (throughput scenario, median of ${runs})` })
      shortfall(getMBps / ceiling.mbps, GET_TARGET, 'get')
      shortfall(put.mbps / ceiling.mbps, PUT_TARGET, 'put')

      nodes.forEach((n: RssStats, i) => {
        record({ scenario: SCENARIO, metric: `node ${i} peak RSS during put + get`, value: n.peakBytes / MiB, unit: 'MiB', ceiling: NODE_LOAD_RSS_BUDGET_MIB, ceilingName: 'budget under load', target: `<= ${NODE_LOAD_RSS_BUDGET_MIB} MiB`, met: n.peakBytes <= NODE_LOAD_RSS_BUDGET_MIB * MiB, detail: { hwmMiB: n.hwmBytes / MiB } })
      })
      for (const [what, r] of [['put', clientPut], ['get', clientGet], ['get with lent pieces', clientLent]] as const) {
        record({ scenario: SCENARIO, metric: `client peak RSS during the ${what}`, value: r.peakBytes / MiB, unit: 'MiB', ceiling: CLIENT_RSS_BUDGET_MIB, ceilingName: 'budget', target: `<= ${CLIENT_RSS_BUDGET_MIB} MiB`, met: r.peakBytes <= CLIENT_RSS_BUDGET_MIB * MiB, detail: { hwmMiB: r.hwmBytes / MiB } })
      }
      note(SCENARIO, `gets: ${extra.join('; ')}`)
      cpuPerGB('put', putWindow.cpuSeconds.slice(0, pids.length), bytes)
      cpuPerGB(`get (sum of ${runs})`, sumColumns(getCpu).slice(0, pids.length), bytes * runs)
      cpuPerGB(`get with lent pieces (sum of ${runs}; frames into reused buffers: ${lentReused.join(', ')})`, sumColumns(lentCpu).slice(0, pids.length), bytes * runs)
      note(SCENARIO, `other processes took ${pct(putOthers)} of the CPU during the put and ${getOthers.map(pct).join(', ')} during the gets${Math.max(putOthers, ...getOthers) > 0.1 ? ' (BUSY: rerun on a quiet box before quoting)' : ''}`)
    })
  } finally {
    await Promise.all([tcp.stop(), tls.stop()])
  }
  note(SCENARIO, `after: ${describeLoad(await measureBackgroundLoad())}`)
}

/** Notes the CPU seconds per GB moved of the client and each node (the first of `seconds` is the client, then the nodes): where a run's two cores went. */
function cpuPerGB (what: string, seconds: readonly number[], bytes: number): void {
  const perGB = seconds.map(s => s / (bytes / 1e9))
  const [client = 0, ...nodes] = perGB
  const total = perGB.reduce((a, b) => a + b, 0)
  note(SCENARIO, `${what}: CPU s/GB client ${client.toFixed(2)}, nodes ${nodes.map(n => n.toFixed(2)).join(' + ')}, all ${total.toFixed(2)} (2 cores: the rate cannot beat ${fmt(2 / total)} GB/s)`)
}

function sumColumns (rows: readonly number[][]): number[] {
  const out: number[] = []
  for (const row of rows) row.forEach((v, i) => { out[i] = (out[i] ?? 0) + v })
  return out
}

function pct (share: number): string {
  return `${(share * 100).toFixed(0)}%`
}

function shortfall (ratio: number, target: number, what: string): void {
  if (ratio >= target) return
  note(SCENARIO, `${what} misses its target: ${ratio.toFixed(3)} x raw TCP against ${target} x (${(target / ratio).toFixed(1)}x short); \`--cpu-prof\` prints where the client and nodes spend their CPU`)
}
