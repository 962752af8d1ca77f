import { setTimeout as sleep } from 'node:timers/promises'
import { numberOption, parseArgs } from './harness/args.js'
import { RESNET50_SAMPLE_BYTES } from './harness/ceilings.js'
import { describeLoad, measureBackgroundLoad } from './harness/machine.js'
import { sampleRss } from './harness/rss.js'
import { getLarge, getSamples, putLarge, putSamples, withWeft } from './harness/weft-runs.js'
import { fmt, note, record } from './report.js'
import type { RssStats } from './harness/rss.js'

/**
 * `memory`: resident memory of each node process and of the client process
 * of a 3-node mesh (r = 3), from /proc/<pid>/status every 50 ms:
 * - idle: the mesh up and converged, the client connected, nothing moving,
 *   for `--idle-seconds` (quick 5, `--full` 20); target <= 150 MiB per node;
 * - under load: a large object put and read back (quick 256 MiB, `--full`
 *   1 GiB), then small objects put and read at concurrency 16; target
 *   <= 300 MiB per node, and <= 200 MiB for the client streaming the large
 *   object (its buffers must not grow with the object).
 * Each figure is shown beside its budget (ratio <= 1 meets it); the kernel's
 * high-water mark (VmHWM, which also catches spikes between samples) goes
 * to the JSON detail.
 *
 * `npm run bench -- memory [--full] [--bytes=1Gi] [--count=200] [--idle-seconds=5]`
 */

const SCENARIO = 'memory'
const MiB = 1024 * 1024
const NODE_IDLE_BUDGET_MIB = 150
const NODE_LOAD_BUDGET_MIB = 300
const CLIENT_BUDGET_MIB = 200

export default async function memory (argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const bytes = numberOption(args, 'bytes', args.full ? 1024 * MiB : 128 * MiB)
  const count = numberOption(args, 'count', args.full ? 2000 : 200)
  const idleSeconds = numberOption(args, 'idle-seconds', args.full ? 20 : 5)
  note(SCENARIO, `${args.full ? 'full' : 'QUICK (--full for 1 GiB, 2,000 objects, 20 s idle)'}: 3 node processes + 1 client process, r = 3; idle ${idleSeconds} s, then put + get of ${fmt(bytes / MiB)} MiB and put + get of ${count} x ${RESNET50_SAMPLE_BYTES} B at c = 16; RSS sampled every 50 ms`)
  note(SCENARIO, `before: ${describeLoad(await measureBackgroundLoad())}`)

  await withWeft({ name: SCENARIO, cpuProf: args.cpuProf }, async ({ mesh, client }) => {
    const budget = (value: number, limit: number, what: string): { ceiling: number, ceilingName: string, target: string, met: boolean } =>
      ({ ceiling: limit, ceilingName: `${what} budget`, target: `<= ${limit} MiB`, met: value <= limit })

    // --- idle
    let nodes = mesh.sampleRss()
    let clientRss = sampleRss(client.pid)
    await sleep(idleSeconds * 1000)
    const idleNodes = nodes.stop()
    const idleClient = clientRss.stop()
    idleNodes.forEach((n: RssStats, i) => {
      const v = n.peakBytes / MiB
      record({ scenario: SCENARIO, metric: `node ${i} RSS idle (peak over ${idleSeconds} s)`, value: v, unit: 'MiB', ...budget(v, NODE_IDLE_BUDGET_MIB, 'idle'), detail: { hwmMiB: n.hwmBytes / MiB, lastMiB: n.lastBytes / MiB } })
    })
    record({ scenario: SCENARIO, metric: 'client RSS idle', value: idleClient.peakBytes / MiB, unit: 'MiB', ...budget(idleClient.peakBytes / MiB, CLIENT_BUDGET_MIB, 'client'), detail: { hwmMiB: idleClient.hwmBytes / MiB } })

    // --- under load
    nodes = mesh.sampleRss()
    clientRss = sampleRss(client.pid)
    const put = await putLarge(client, 'bench', 'large', bytes)
    const get = await getLarge(client, 'bench', 'large', bytes)
    const streaming = clientRss.stop()
    clientRss = sampleRss(client.pid)
    await putSamples(client, { bucket: 'small', prefix: 's/', count, size: RESNET50_SAMPLE_BYTES, concurrency: 16 })
    await getSamples(client, { bucket: 'small', prefix: 's/', count, size: RESNET50_SAMPLE_BYTES, concurrency: 16, seed: 7, maxSeconds: 60 })
    const smallClient = clientRss.stop()
    const loadNodes = nodes.stop()
    loadNodes.forEach((n: RssStats, i) => {
      const v = n.peakBytes / MiB
      record({ scenario: SCENARIO, metric: `node ${i} peak RSS under load`, value: v, unit: 'MiB', ...budget(v, NODE_LOAD_BUDGET_MIB, 'load'), detail: { hwmMiB: n.hwmBytes / MiB, idleMiB: (idleNodes[i]?.peakBytes ?? 0) / MiB } })
    })
    record({ scenario: SCENARIO, metric: `client peak RSS streaming ${fmt(bytes / MiB)} MiB (put + get)`, value: streaming.peakBytes / MiB, unit: 'MiB', ...budget(streaming.peakBytes / MiB, CLIENT_BUDGET_MIB, 'client'), detail: { hwmMiB: streaming.hwmBytes / MiB, putMBps: put.mbps, getMBps: get.mbps } })
    record({ scenario: SCENARIO, metric: `client peak RSS, ${count} small objects put + get at c=16`, value: smallClient.peakBytes / MiB, unit: 'MiB', ...budget(smallClient.peakBytes / MiB, CLIENT_BUDGET_MIB, 'client'), detail: { hwmMiB: smallClient.hwmBytes / MiB } })
  })
  note(SCENARIO, `after: ${describeLoad(await measureBackgroundLoad())}`)
}
