import { numberOption, parseArgs } from './harness/args.js'
import { RESNET50_SAMPLE_BYTES, startCeilingPair } from './harness/ceilings.js'
import { describeLoad, measureBackgroundLoad, watchContention } from './harness/machine.js'
import { rememberFigure, smallGetKey } from './harness/same-run.js'
import { mbps, summarize } from './harness/stats.js'
import { getSamples, putSamples, withWeft } from './harness/weft-runs.js'
import { fmt, note, record } from './report.js'
import type { ObjectsResult } from './harness/ceilings.js'

/**
 * `small`: many small objects (the MLPerf ResNet-50 sample, 114,660 B) on a
 * mesh of three node processes with one client process, beside raw TCP
 * request/response of the same size measured in the same run (16 TCP
 * connections each with one request outstanding, and likewise at 1 and 64).
 *
 * - put: `--count` objects (quick 500, `--full` 2,000), r = 3, 16 in
 *   flight: objects/s and MB/s; target >= 0.1 x raw TCP bytes/s at c = 16.
 * - get: every object once in a seeded random order at concurrency 1, 16
 *   and 64: objects/s, MB/s (target at c = 16: >= 0.4 x raw TCP), p50 and
 *   p99 latency beside raw TCP's at the same concurrency.
 * - get by manifest: the same at c = 16 after the client listed the samples
 *   (a loader's index, untimed): each get skips the majority read of its ref.
 *
 * `npm run bench -- small [--full] [--count=2000] [--size=114660] [--ceiling-count=10000] [--phase-seconds=30]`
 */

const SCENARIO = 'small'
const CONCURRENCIES = [1, 16, 64] as const
const PUT_CONCURRENCY = 16
const GET_TARGET = 0.4
const PUT_TARGET = 0.1

export default async function small (argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const count = numberOption(args, 'count', args.full ? 2000 : 300)
  const size = numberOption(args, 'size', RESNET50_SAMPLE_BYTES)
  const ceilingCount = numberOption(args, 'ceiling-count', args.full ? 20_000 : 10_000)
  const phaseSeconds = numberOption(args, 'phase-seconds', args.full ? 120 : 20)
  note(SCENARIO, `${args.full ? 'full' : 'QUICK (--full for 2,000 objects)'}: ${count} objects of ${size} B, 3 node processes + 1 client process, r = 3; puts ${PUT_CONCURRENCY} in flight; gets of every object once in a seeded random order at c = ${CONCURRENCIES.join(', ')} (the first pass warms the client's manifest cache, as a second epoch would); raw TCP: ${ceilingCount} replies of ${size} B to 1-byte requests, c connections with one request each; each phase stops after ${phaseSeconds} s; 1 MB = 1e6 B`)
  note(SCENARIO, `before: ${describeLoad(await measureBackgroundLoad())}`)

  const tcp = await startCeilingPair('tcp', { cpuProf: args.cpuProf })
  try {
    await withWeft({ name: SCENARIO, cpuProf: args.cpuProf }, async ({ client, pids }) => {
      const all = [...pids, tcp.client.pid, tcp.server.pid]
      const raw = new Map<number, ObjectsResult>()
      const rawAt = async (c: number): Promise<ObjectsResult> => {
        const r = await tcp.objects({ size, concurrency: c, count: ceilingCount, maxSeconds: Math.min(phaseSeconds, 15) })
        raw.set(c, r)
        return r
      }

      // --- puts, r = 3, beside raw TCP bytes/s at the same concurrency
      const rawPut = await rawAt(PUT_CONCURRENCY)
      let contention = watchContention(all)
      const put = await putSamples(client, { bucket: 'small', prefix: 's/', count, size, concurrency: PUT_CONCURRENCY })
      const putOthers = contention.stop().othersShare
      const putOps = put.count / put.seconds
      const putLat = summarize(put.samplesUs)
      record({ scenario: SCENARIO, metric: `put r=3, c=${PUT_CONCURRENCY}: objects/s`, value: putOps, unit: 'objects/s', ceiling: rawPut.objectsPerSecond, ceilingName: `raw TCP c=${PUT_CONCURRENCY}`, detail: { count: put.count, seconds: put.seconds, p50Us: putLat.p50, p99Us: putLat.p99, othersCpuShare: putOthers } })
      const putMBps = mbps(put.bytes, put.seconds)
      record({ scenario: SCENARIO, metric: `put r=3, c=${PUT_CONCURRENCY}: MB/s`, value: putMBps, unit: 'MB/s', ceiling: rawPut.mbps, ceilingName: `raw TCP c=${PUT_CONCURRENCY} (replies)`, target: `>= ${PUT_TARGET} x raw TCP`, met: putMBps >= PUT_TARGET * rawPut.mbps })
      record({ scenario: SCENARIO, metric: `put r=3, c=${PUT_CONCURRENCY}: p50 latency`, value: putLat.p50, unit: 'µs', ceiling: rawPut.latency.p50, ceilingName: `raw TCP c=${PUT_CONCURRENCY}`, detail: { p99: putLat.p99 } })

      // --- gets at each concurrency, each beside raw TCP at the same concurrency
      for (const c of CONCURRENCIES) {
        // measured right before the weft phase it stands beside, so both see the same outside load
        const r = await rawAt(c)
        contention = watchContention(all)
        const got = await getSamples(client, { bucket: 'small', prefix: 's/', count, size, concurrency: c, seed: 1000 + c, maxSeconds: phaseSeconds })
        const others = contention.stop().othersShare
        if (got.count === 0) throw new Error(`no get finished at c=${c}`)
        const lat = summarize(got.samplesUs)
        const ops = got.count / got.seconds
        const getMBps = mbps(got.bytes, got.seconds)
        const besideRaw = `raw TCP c=${c}`
        const detail = { count: got.count, seconds: got.seconds, cut: got.cut, othersCpuShare: others, rawCount: r.count, rawOthersCpuShare: r.othersCpuShare }
        record({ scenario: SCENARIO, metric: `get c=${c}: objects/s`, value: ops, unit: 'objects/s', ceiling: r.objectsPerSecond, ceilingName: besideRaw, detail })
        record({ scenario: SCENARIO, metric: `get c=${c}: MB/s`, value: getMBps, unit: 'MB/s', ceiling: r.mbps, ceilingName: besideRaw, ...(c === 16 ? { target: `>= ${GET_TARGET} x raw TCP`, met: getMBps >= GET_TARGET * r.mbps } : {}) })
        record({ scenario: SCENARIO, metric: `get c=${c}: p50 latency`, value: lat.p50, unit: 'µs', ceiling: r.latency.p50, ceilingName: besideRaw })
        record({ scenario: SCENARIO, metric: `get c=${c}: p99 latency`, value: lat.p99, unit: 'µs', ceiling: r.latency.p99, ceilingName: besideRaw })
        if (got.cut) note(SCENARIO, `get c=${c} stopped after ${phaseSeconds} s with ${got.count} of ${count} objects read`)
        if (c === 16) {
          rememberFigure(smallGetKey(count, size, c), { value: ops, unit: 'objects/s', what: `weft get of ${count} x ${size} B at c=${c} (small scenario)` })
          if (getMBps < GET_TARGET * r.mbps) note(SCENARIO, `get c=16 misses its target: ${(getMBps / r.mbps).toFixed(3)} x raw TCP against ${GET_TARGET} x; \`--cpu-prof\` prints where the client and nodes spend their CPU`)
        }
      }
      // --- the same gets at c=16 by manifest: the client listed the samples first (a loader's index), so no ref read per get
      {
        const c = 16
        const r = await rawAt(c)
        const got = await getSamples(client, { bucket: 'small', prefix: 's/', count, size, concurrency: c, seed: 3000 + c, maxSeconds: phaseSeconds, byManifest: true })
        if (got.count === 0) throw new Error(`no get by manifest finished at c=${c}`)
        const lat = summarize(got.samplesUs)
        const besideRaw = `raw TCP c=${c}`
        record({ scenario: SCENARIO, metric: `get c=${c} by manifest (listed first): objects/s`, value: got.count / got.seconds, unit: 'objects/s', ceiling: r.objectsPerSecond, ceilingName: besideRaw, detail: { count: got.count, seconds: got.seconds, cut: got.cut } })
        record({ scenario: SCENARIO, metric: `get c=${c} by manifest: p50 latency`, value: lat.p50, unit: 'µs', ceiling: r.latency.p50, ceilingName: besideRaw, detail: { p99: lat.p99 } })
      }
      note(SCENARIO, `raw TCP objects/s at c=${[...raw.keys()].join(', ')}: ${[...raw.values()].map(r => fmt(r.objectsPerSecond)).join(', ')} (c=${PUT_CONCURRENCY} beside the puts: ${fmt(rawPut.objectsPerSecond)}); other processes took ${(putOthers * 100).toFixed(0)}% of the CPU during the puts`)
    })
  } finally {
    await tcp.stop()
  }
  note(SCENARIO, `after: ${describeLoad(await measureBackgroundLoad())}`)
}
