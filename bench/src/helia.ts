import { numberOption, parseArgs } from './harness/args.js'
import { RESNET50_SAMPLE_BYTES, measureRawTcpMBps, measureRawTcpSmallObjects } from './harness/ceilings.js'
import { describeLoad, measureBackgroundLoad, watchContention } from './harness/machine.js'
import { sampleRss } from './harness/rss.js'
import { largeGetKey, sameRunFigure, smallGetKey } from './harness/same-run.js'
import { spawnWorker } from './harness/spawn-worker.js'
import { mbps, summarize } from './harness/stats.js'
import { LONG_REQUEST_MS, getLarge, getSamples, noteProfiles, putLarge, putSamples, withWeft } from './harness/weft-runs.js'
import { fmt, note, record } from './report.js'
import type { SameRunFigure } from './harness/same-run.js'
import type { Worker } from './harness/spawn-worker.js'
import type { LoopAnswer } from './harness/weft-runs.js'

/**
 * `helia`: the peer a TypeScript user would otherwise pick, Helia (IPFS on
 * the same js-libp2p), moving the same payloads as weft in the same run:
 * one large file (quick 256 MiB, `--full` 1 GiB) and the same small
 * objects (quick 500, `--full` 2,000, of 114,660 B) read at concurrency 16.
 * A provider and a fetcher, each a Helia node in its own process
 * (workers/helia-node.ts: createHeliaLight + withLibp2pLight over TCP,
 * Noise, yamux, identify + withBitswap, @helia/unixfs defaults), connected
 * directly on loopback; the fetcher reads with `unixfs.cat`, its bitswap
 * asking the connected provider (naming the provider in `cat` opens a
 * session per call: same speed on the large file, ~40% fewer objects/s on
 * small ones here, so Helia gets its better path).
 *
 * Weft's figures come from `throughput` and `small` earlier in the same
 * `npm run bench` process when they moved the same sizes; run alone, this
 * scenario measures them itself on a 3-node mesh (r = 3), as it does with
 * `--measure-weft` (weft then runs right after Helia, under the same load).
 * Targets: weft >= 15 x Helia on the large get, >= 10 x Helia objects/s at c = 16.
 *
 * `npm run bench -- helia [--full] [--measure-weft] [--bytes=1Gi] [--count=2000] [--size=114660]`
 */

const SCENARIO = 'helia'
const MiB = 1024 * 1024
const HELIA_WORKER = new URL('./workers/helia-node.js', import.meta.url)
const CONCURRENCY = 16
const LARGE_TARGET = 15
const SMALL_TARGET = 10

interface HeliaHello { ready: boolean, peerId: string, addrs: string[] }

export default async function helia (argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const bytes = numberOption(args, 'bytes', args.full ? 1024 * MiB : 256 * MiB)
  const count = numberOption(args, 'count', args.full ? 2000 : 300)
  const size = numberOption(args, 'size', RESNET50_SAMPLE_BYTES)
  const phaseSeconds = numberOption(args, 'phase-seconds', args.full ? 300 : 60)
  note(SCENARIO, `${args.full ? 'full' : 'QUICK (--full for 1 GiB and 2,000 objects)'}: Helia provider + fetcher processes (createHeliaLight + withLibp2pLight: TCP 127.0.0.1, Noise, yamux, identify; withBitswap; @helia/unixfs defaults: 1 MiB chunks, raw leaves; memory blockstores; the fetcher dials the provider and cats without naming it, bitswap asking connected peers), one cat of ${fmt(bytes / MiB)} MiB, then ${count} objects of ${size} B in a seeded random order at c = ${CONCURRENCY} (at most ${phaseSeconds} s); 1 MB = 1e6 B`)
  note(SCENARIO, `before: ${describeLoad(await measureBackgroundLoad())}`)

  const tcp = await measureRawTcpMBps({ bytes: Math.min(bytes, 512 * MiB), runs: 3 })
  record({ scenario: SCENARIO, metric: 'raw TCP MB/s, 1 connection (this run)', value: tcp.mbps, unit: 'MB/s', detail: { runs: tcp.runs.map(r => r.mbps) } })
  const tcpObjects = await measureRawTcpSmallObjects({ size, concurrency: CONCURRENCY, count: 10_000, maxSeconds: 10 })
  record({ scenario: SCENARIO, metric: `raw TCP objects/s of ${size} B, c=${CONCURRENCY} (this run)`, value: tcpObjects.objectsPerSecond, unit: 'objects/s' })

  // --- Helia
  let provider: Worker<HeliaHello> | undefined
  let fetcher: Worker<HeliaHello> | undefined
  let heliaLarge: number
  let heliaSmall: number
  try {
    provider = await spawnWorker<HeliaHello>(HELIA_WORKER, ['provider'], { name: 'helia-provider', cpuProf: args.cpuProf })
    fetcher = await spawnWorker<HeliaHello>(HELIA_WORKER, ['fetcher'], { name: 'helia-fetcher', cpuProf: args.cpuProf })
    const addr = provider.hello.addrs[0]
    if (addr == null) throw new Error('the Helia provider has no address')
    const pids = [provider.pid, fetcher.pid]
    const added = await provider.request<{ cid: string, ms: number }>({ op: 'addLarge', bytes }, { timeoutMs: LONG_REQUEST_MS })
    await fetcher.request({ op: 'dial', addr })
    const rss = sampleRss(fetcher.pid)
    let contention = watchContention(pids)
    const cat = await fetcher.request<{ ms: number, bytes: number }>({ op: 'cat', cid: added.cid }, { timeoutMs: LONG_REQUEST_MS })
    const catOthers = contention.stop().othersShare
    if (cat.bytes !== bytes) throw new Error(`Helia cat returned ${cat.bytes} of ${bytes} bytes`)
    heliaLarge = mbps(bytes, cat.ms / 1000)
    record({ scenario: SCENARIO, metric: `Helia get (cat) ${fmt(bytes / MiB)} MiB`, value: heliaLarge, unit: 'MB/s', ceiling: tcp.mbps, ceilingName: 'raw TCP', detail: { ms: cat.ms, addMs: added.ms, othersCpuShare: catOthers, fetcherPeakRssMiB: rss.stop().peakBytes / MiB } })

    const samples = await provider.request<{ cids: string[], ms: number }>({ op: 'addSamples', count, size }, { timeoutMs: LONG_REQUEST_MS })
    contention = watchContention(pids)
    const got = await fetcher.request<LoopAnswer>({ op: 'getSamples', cids: samples.cids, concurrency: CONCURRENCY, seed: 1000 + CONCURRENCY, maxSeconds: phaseSeconds }, { timeoutMs: LONG_REQUEST_MS })
    const smallOthers = contention.stop().othersShare
    if (got.count === 0) throw new Error('Helia fetched no small object')
    if (got.bytes !== got.count * size) throw new Error(`Helia fetched ${got.bytes} bytes for ${got.count} objects of ${size} B`)
    heliaSmall = got.count / got.seconds
    const lat = summarize(got.samplesUs)
    record({ scenario: SCENARIO, metric: `Helia get of ${size} B objects, c=${CONCURRENCY}: objects/s`, value: heliaSmall, unit: 'objects/s', ceiling: tcpObjects.objectsPerSecond, ceilingName: `raw TCP c=${CONCURRENCY}`, detail: { count: got.count, seconds: got.seconds, cut: got.cut, p50Us: lat.p50, p99Us: lat.p99, othersCpuShare: smallOthers } })
    if (got.cut) note(SCENARIO, `Helia's small-object phase stopped after ${phaseSeconds} s with ${got.count} of ${count} objects`)
  } finally {
    await fetcher?.stop()
    await provider?.stop()
    if (args.cpuProf) await noteProfiles(SCENARIO, [provider, fetcher])
  }

  // --- weft, from earlier in this run or measured here
  const reuse = args.options['measure-weft'] !== 'true'
  let large = reuse ? sameRunFigure(largeGetKey(bytes)) : undefined
  let smallOps = reuse ? sameRunFigure(smallGetKey(count, size, CONCURRENCY)) : undefined
  if (large == null || smallOps == null) {
    const measured = await measureWeft(bytes, count, size, phaseSeconds, args.cpuProf)
    large ??= measured.large
    smallOps ??= measured.small
  }
  const age = (f: SameRunFigure): string => `${f.what}, ${fmt((Date.now() - f.at) / 1000)} s before this row`
  record({ scenario: SCENARIO, metric: `weft get ${fmt(bytes / MiB)} MiB vs Helia`, value: large.value, unit: 'MB/s', ceiling: heliaLarge, ceilingName: 'Helia', target: `>= ${LARGE_TARGET} x Helia`, met: large.value >= LARGE_TARGET * heliaLarge, detail: { source: age(large) } })
  record({ scenario: SCENARIO, metric: `weft get of ${size} B objects, c=${CONCURRENCY} vs Helia`, value: smallOps.value, unit: 'objects/s', ceiling: heliaSmall, ceilingName: 'Helia', target: `>= ${SMALL_TARGET} x Helia`, met: smallOps.value >= SMALL_TARGET * heliaSmall, detail: { source: age(smallOps) } })
  note(SCENARIO, `weft figures: ${age(large)}; ${age(smallOps)}`)
  note(SCENARIO, `after: ${describeLoad(await measureBackgroundLoad())}`)
}

/** Weft's large get and small-object get at c = 16 on a fresh 3-node mesh, when no earlier scenario of this run measured them. */
async function measureWeft (bytes: number, count: number, size: number, phaseSeconds: number, cpuProf: boolean): Promise<{ large: SameRunFigure, small: SameRunFigure }> {
  return await withWeft({ name: `${SCENARIO}-weft`, cpuProf }, async ({ client }) => {
    await putLarge(client, 'bench', 'large', bytes)
    const get = await getLarge(client, 'bench', 'large', bytes)
    await putSamples(client, { bucket: 'small', prefix: 's/', count, size, concurrency: CONCURRENCY })
    const got = await getSamples(client, { bucket: 'small', prefix: 's/', count, size, concurrency: CONCURRENCY, seed: 1000 + CONCURRENCY, maxSeconds: phaseSeconds })
    if (got.count === 0) throw new Error('weft fetched no small object')
    const at = Date.now()
    return {
      large: { value: get.mbps, unit: 'MB/s', what: `weft get of ${fmt(bytes / MiB)} MiB measured here (3 nodes, r = 3, one get)`, at },
      small: { value: got.count / got.seconds, unit: 'objects/s', what: `weft get of ${count} x ${size} B at c=${CONCURRENCY} measured here (one pass right after the puts)`, at }
    }
  })
}
