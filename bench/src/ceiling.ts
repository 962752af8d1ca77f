import { CEILING_LABELS, CEILING_TRANSPORTS, DEFAULT_LATENCY_COUNT, DEFAULT_LATENCY_WARMUP, DEFAULT_OBJECTS_CONCURRENCY, DEFAULT_OBJECTS_COUNT, DEFAULT_PHASE_MAX_SECONDS, DEFAULT_RUNS, DEFAULT_STREAM_BYTES, DEFAULT_WARMUP_BYTES, FULL_STREAM_BYTES, RESNET50_SAMPLE_BYTES, mergeThroughput, startCeilingPair } from './harness/ceilings.js'
import { numberOption, parseArgs } from './harness/args.js'
import { topCpuEntries } from './harness/cpu-profile.js'
import { describeLoad, measureBackgroundLoad } from './harness/machine.js'
import { fmt, note, record } from './report.js'
import { TLS_CIPHERSUITES, YAMUX_MAX_READ_BUFFER, YAMUX_MAX_STREAM_WINDOW, YAMUX_MAX_WRITE_BUFFER } from './workers/ceiling-transports.js'
import type { CeilingPair, CeilingTransport, LatencyResult, ObjectsResult, ThroughputResult } from './harness/ceilings.js'

/**
 * `ceiling`: what this box can do without weft. Raw TCP, TLS 1.3 (peer-id
 * certificates, AES-GCM) and one libp2p stream (pnet + Noise + yamux), each
 * between two fresh worker processes on loopback: MB/s of one stream, request
 * round trips for 1 B and 114,660 B replies, and raw-TCP objects/s at
 * concurrency 16. Options: `--full`, `--bytes=2Gi`, `--runs=5`,
 * `--latency-count=N`, `--objects-count=N`, `--phase-seconds=S`, `--cpu-prof`.
 */

const SCENARIO = 'ceiling'
const MIB = 1024 * 1024

interface PathResult {
  throughput: ThroughputResult
  latency: LatencyResult[]
  objects?: ObjectsResult
  profiles: string[]
}

export default async function ceiling (argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const bytes = numberOption(args, 'bytes', args.full ? FULL_STREAM_BYTES : DEFAULT_STREAM_BYTES)
  const runs = numberOption(args, 'runs', DEFAULT_RUNS)
  const latencyCount = numberOption(args, 'latency-count', args.full ? 4 * DEFAULT_LATENCY_COUNT : DEFAULT_LATENCY_COUNT)
  const objectsCount = numberOption(args, 'objects-count', args.full ? 5 * DEFAULT_OBJECTS_COUNT : DEFAULT_OBJECTS_COUNT)
  const replySizes = [1, RESNET50_SAMPLE_BYTES]
  const maxSeconds = numberOption(args, 'phase-seconds', args.full ? 8 * DEFAULT_PHASE_MAX_SECONDS : DEFAULT_PHASE_MAX_SECONDS)

  note(SCENARIO, `two processes per path (server worker + client worker, loopback); stream ${fmt(bytes / MIB)} MiB in 256 KiB writes, timed to the receiver's ack, median of ${runs} after a ${fmt(DEFAULT_WARMUP_BYTES / MIB)} MiB warm-up; 1 MB = 1e6 B`)
  note(SCENARIO, `TLS: node:tls TLSv1.3 [${TLS_CIPHERSUITES}], certificates bound to libp2p Ed25519 peer ids, verified both ways. libp2p: TCP + pnet + Noise + yamux (maxStreamWindowSize ${YAMUX_MAX_STREAM_WINDOW / MIB} MiB, maxReadBufferLength ${YAMUX_MAX_READ_BUFFER / MIB} MiB, maxWriteBufferLength ${YAMUX_MAX_WRITE_BUFFER / MIB} MiB), one stream`)
  note(SCENARIO, `throughput runs alternate between the paths (all three worker pairs stay up); latency: 1 B request -> reply, sequential on one reused connection/stream, ${latencyCount} timed after ${DEFAULT_LATENCY_WARMUP} warm-up; objects/s: ${DEFAULT_OBJECTS_CONCURRENCY} TCP connections, one request outstanding on each (no pipelining), ${objectsCount} objects; each phase stops early after ${maxSeconds} s`)

  note(SCENARIO, `before: ${describeLoad(await measureBackgroundLoad())}`)

  // All three pairs stay up and the throughput runs alternate between paths,
  // so a burst of outside load hits every path alike and the ratios hold.
  const pairs = new Map<CeilingTransport, CeilingPair>()
  const results = new Map<CeilingTransport, PathResult>()
  try {
    for (const transport of CEILING_TRANSPORTS) pairs.set(transport, await startCeilingPair(transport, { cpuProf: args.cpuProf }))
    const parts = new Map<CeilingTransport, ThroughputResult[]>(CEILING_TRANSPORTS.map(t => [t, []]))
    for (let run = 0; run < runs; run++) {
      for (const transport of CEILING_TRANSPORTS) {
        // warm up once per pair, not before every interleaved run
        parts.get(transport)?.push(await (pairs.get(transport) as CeilingPair).throughput({ bytes, runs: 1, warmupBytes: run === 0 ? DEFAULT_WARMUP_BYTES : 0 }))
      }
    }
    for (const transport of CEILING_TRANSPORTS) {
      const pair = pairs.get(transport) as CeilingPair
      const latency: LatencyResult[] = []
      for (const replySize of replySizes) {
        latency.push(await pair.latency({ replySize, count: latencyCount, warmup: DEFAULT_LATENCY_WARMUP, maxSeconds }))
      }
      const objects = transport === 'tcp'
        ? await pair.objects({ size: RESNET50_SAMPLE_BYTES, concurrency: DEFAULT_OBJECTS_CONCURRENCY, count: objectsCount, maxSeconds })
        : undefined
      results.set(transport, {
        throughput: mergeThroughput(parts.get(transport) ?? []),
        latency,
        objects,
        profiles: [pair.server.cpuProfilePath, pair.client.cpuProfilePath].filter((p): p is string => p != null)
      })
    }
  } finally {
    await Promise.all([...pairs.values()].map(async p => { await p.stop() }))
  }

  const tcp = results.get('tcp') as PathResult
  for (const transport of CEILING_TRANSPORTS) {
    const r = results.get(transport) as PathResult
    record({
      scenario: SCENARIO,
      metric: `${CEILING_LABELS[transport]} MB/s, 1 stream`,
      value: r.throughput.mbps,
      unit: 'MB/s',
      ...(transport === 'tcp' ? {} : { ceiling: tcp.throughput.mbps, ceilingName: 'raw TCP' }),
      detail: { runs: r.throughput.runs, bytes, cipher: r.throughput.cipher }
    })
  }
  for (const transport of CEILING_TRANSPORTS) {
    const r = results.get(transport) as PathResult
    record({
      scenario: SCENARIO,
      metric: `${CEILING_LABELS[transport]} receiver CPU per GB`,
      value: r.throughput.receiverCpuSecondsPerGB,
      unit: 's/GB',
      ...(transport === 'tcp' ? {} : { ceiling: tcp.throughput.receiverCpuSecondsPerGB, ceilingName: 'raw TCP' }),
      detail: { senderCpuSecondsPerGB: r.throughput.senderCpuSecondsPerGB }
    })
  }
  for (const transport of CEILING_TRANSPORTS) {
    const r = results.get(transport) as PathResult
    record({ scenario: SCENARIO, metric: `${CEILING_LABELS[transport]} receiver peak RSS`, value: r.throughput.receiverPeakRssBytes / MIB, unit: 'MiB' })
  }
  for (const [i, replySize] of replySizes.entries()) {
    for (const pct of ['p50', 'p99'] as const) {
      for (const transport of CEILING_TRANSPORTS) {
        const l = (results.get(transport) as PathResult).latency[i] as LatencyResult
        const base = tcp.latency[i] as LatencyResult
        record({
          scenario: SCENARIO,
          metric: `${CEILING_LABELS[transport]} 1 B -> ${replySize.toLocaleString('en-US')} B ${pct}`,
          value: l[pct],
          unit: 'µs',
          ...(transport === 'tcp' ? {} : { ceiling: base[pct], ceilingName: 'raw TCP' }),
          detail: { count: l.count, p90: l.p90, max: l.max, mean: l.mean, othersCpuShare: l.othersCpuShare }
        })
      }
    }
  }
  const objects = tcp.objects
  if (objects != null) {
    record({
      scenario: SCENARIO,
      metric: `raw TCP ${objects.size.toLocaleString('en-US')} B objects/s, c=${objects.concurrency} (${objects.concurrency} conns)`,
      value: objects.objectsPerSecond,
      unit: 'obj/s',
      detail: { count: objects.count, seconds: objects.seconds, latencyUs: objects.latency, mode: objects.mode, othersCpuShare: objects.othersCpuShare }
    })
    record({
      scenario: SCENARIO,
      metric: `raw TCP ${objects.size.toLocaleString('en-US')} B objects as MB/s, c=${objects.concurrency}`,
      value: objects.mbps,
      unit: 'MB/s',
      ceiling: tcp.throughput.mbps,
      ceilingName: 'raw TCP 1 stream'
    })
  }

  const pct = (share: number): string => `${(share * 100).toFixed(0)}%`
  const spread = CEILING_TRANSPORTS.map(t => `${CEILING_LABELS[t]} ${(results.get(t) as PathResult).throughput.runs.map(r => `${fmt(r.mbps)} (others ${pct(r.othersCpuShare)})`).join(' / ')}`)
  note(SCENARIO, `MB/s of each run, with the share of CPU other processes used meanwhile: ${spread.join('; ')}`)
  const short = (n: number, of: number): string => n < of ? ` (stopped early: ${n} of ${of})` : ''
  const phases = CEILING_TRANSPORTS.flatMap(t => (results.get(t) as PathResult).latency.map(l => `${CEILING_LABELS[t]} ${l.replySize} B ${pct(l.othersCpuShare)}${short(l.count, latencyCount)}`))
  if (tcp.objects != null) phases.push(`objects ${pct(tcp.objects.othersCpuShare)}${short(tcp.objects.count, objectsCount)}`)
  note(SCENARIO, `others' CPU share during latency/objects phases: ${phases.join(', ')}`)
  const cipher = results.get('tls')?.throughput.cipher
  note(SCENARIO, `TLS negotiated ${cipher ?? '?'}; after: ${describeLoad(await measureBackgroundLoad())}`)
  if (args.cpuProf) {
    for (const transport of CEILING_TRANSPORTS) {
      for (const file of (results.get(transport) as PathResult).profiles) {
        const top = await topCpuEntries(file, 8).catch(() => [])
        note(SCENARIO, `profile ${file}\n${top.map(e => `  ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.frame}`).join('\n')}`)
      }
    }
  }
}
