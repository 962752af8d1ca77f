import { generateKey } from '@libp2p/pnet'
import { watchContention } from './machine.js'
import { sampleRss } from './rss.js'
import { spawnWorker } from './spawn-worker.js'
import { mbps, median, summarize } from './stats.js'
import { RESNET50_SAMPLE_BYTES } from '../workers/ceiling-wire.js'
import type { Worker } from './spawn-worker.js'
import type { LatencySummary } from './stats.js'

/**
 * The ceilings weft is judged against, each measured between two fresh
 * processes on loopback: a server worker (bench/dist/src/workers/ceiling-server.js)
 * and a client worker (ceiling-client.js). The scenario process only
 * orchestrates, so a scenario can measure the ceiling in its own run whatever
 * it has loaded itself. Every function starts and stops its own workers.
 * MB/s uses 1 MB = 1e6 bytes.
 */

export type CeilingTransport = 'tcp' | 'tls' | 'libp2p'

export const CEILING_TRANSPORTS: readonly CeilingTransport[] = ['tcp', 'tls', 'libp2p']
export const CEILING_LABELS: Record<CeilingTransport, string> = { tcp: 'raw TCP', tls: 'TLS 1.3', libp2p: 'libp2p stream' }

/** quick default stream size */
export const DEFAULT_STREAM_BYTES = 512 * 1024 * 1024
/** `--full` stream size */
export const FULL_STREAM_BYTES = 2 * 1024 * 1024 * 1024
export const DEFAULT_RUNS = 3
/** an untimed transfer before the timed runs, so they measure JIT-compiled code */
export const DEFAULT_WARMUP_BYTES = 64 * 1024 * 1024
export const DEFAULT_LATENCY_COUNT = 5000
export const DEFAULT_LATENCY_WARMUP = 500
export const DEFAULT_OBJECTS_CONCURRENCY = 16
export const DEFAULT_OBJECTS_COUNT = 20_000
/** a latency or objects phase stops at this many seconds even short of its count (a busy box) */
export const DEFAULT_PHASE_MAX_SECONDS = 15
export { RESNET50_SAMPLE_BYTES }

const SERVER_SCRIPT = new URL('../workers/ceiling-server.js', import.meta.url)
const CLIENT_SCRIPT = new URL('../workers/ceiling-client.js', import.meta.url)

interface ServerHello { ready: boolean, transport: CeilingTransport, port: number, peerId?: string, multiaddr?: string }
interface ClientHello { ready: boolean, transport: CeilingTransport, peerId?: string }
interface Usage { cpuUsage: { user: number, system: number }, maxRssKiB: number }

export interface CeilingInit {
  /** run both workers under `node --cpu-prof` (true: bench/results/profiles, or a directory) */
  cpuProf?: boolean | string
  signal?: AbortSignal
}

export interface ThroughputRun {
  bytes: number
  seconds: number
  mbps: number
  senderCpuSeconds: number
  receiverCpuSeconds: number
  /** share of the machine's CPU that other processes used meanwhile (0-1): high means this run was slowed from outside */
  othersCpuShare: number
}

export interface ThroughputResult {
  transport: CeilingTransport
  /** median MB/s over the runs (1 MB = 1e6 bytes), timed from the first byte sent to the receiver's ack */
  mbps: number
  runs: ThroughputRun[]
  /** CPU seconds the receiving process spent per GB (1e9 bytes) received, over all runs */
  receiverCpuSecondsPerGB: number
  senderCpuSecondsPerGB: number
  /** highest resident set of the receiving process while the runs went on */
  receiverPeakRssBytes: number
  /** the negotiated TLS suite, for tls */
  cipher?: string
}

export interface LatencyResult extends LatencySummary {
  transport: CeilingTransport
  replySize: number
  /** every timed round trip in µs, in the order measured */
  samplesUs: number[]
  /** share of the machine's CPU that other processes used meanwhile (0-1) */
  othersCpuShare: number
}

export interface ObjectsResult {
  transport: CeilingTransport
  size: number
  concurrency: number
  count: number
  seconds: number
  objectsPerSecond: number
  /** the same traffic as payload MB/s */
  mbps: number
  /** per-request round trip under load, µs */
  latency: LatencySummary
  /** how concurrency is reached: one connection (or libp2p stream) per concurrent request, no pipelining */
  mode: 'connections'
  /** share of the machine's CPU that other processes used meanwhile (0-1) */
  othersCpuShare: number
}

/** A running server + client worker pair for one transport. */
export interface CeilingPair {
  transport: CeilingTransport
  server: Worker<ServerHello>
  client: Worker<ClientHello>
  /** `warmupBytes` (default DEFAULT_WARMUP_BYTES, 0 for none) are sent untimed first */
  throughput(options: { bytes: number, runs?: number, warmupBytes?: number }): Promise<ThroughputResult>
  latency(options: { replySize: number, count?: number, warmup?: number, maxSeconds?: number }): Promise<LatencyResult>
  objects(options: { size: number, concurrency?: number, count?: number, maxSeconds?: number }): Promise<ObjectsResult>
  stop(): Promise<void>
}

function cpuSeconds (before: Usage, after: Usage): number {
  return (after.cpuUsage.user - before.cpuUsage.user + after.cpuUsage.system - before.cpuUsage.system) / 1e6
}

function summarizeThroughput (transport: CeilingTransport, runs: ThroughputRun[], receiverPeakRssBytes: number, cipher: string | undefined): ThroughputResult {
  const totalGB = runs.reduce((s, r) => s + r.bytes, 0) / 1e9
  return {
    transport,
    mbps: median(runs.map(r => r.mbps)),
    runs,
    receiverCpuSecondsPerGB: runs.reduce((s, r) => s + r.receiverCpuSeconds, 0) / totalGB,
    senderCpuSecondsPerGB: runs.reduce((s, r) => s + r.senderCpuSeconds, 0) / totalGB,
    receiverPeakRssBytes,
    cipher
  }
}

/**
 * Combines results of several `throughput` calls on one path (e.g. runs
 * interleaved with other paths) into one: median MB/s over all runs, CPU per
 * GB over all bytes, the highest peak RSS.
 */
export function mergeThroughput (parts: readonly ThroughputResult[]): ThroughputResult {
  const first = parts[0]
  if (first == null) throw new RangeError('nothing to merge')
  if (parts.some(p => p.transport !== first.transport)) throw new TypeError('cannot merge results of different transports')
  return summarizeThroughput(first.transport, parts.flatMap(p => p.runs), Math.max(...parts.map(p => p.receiverPeakRssBytes)), first.cipher)
}

/**
 * Starts the two workers for `transport` and points the client at the
 * server. On TLS both ends check each other's libp2p peer id; on libp2p both
 * share a fresh mesh key.
 */
export async function startCeilingPair (transport: CeilingTransport, init: CeilingInit = {}): Promise<CeilingPair> {
  const psk = new Uint8Array(95)
  generateKey(psk)
  const env = { WEFT_BENCH_PSK: Buffer.from(psk).toString('base64') }
  const common = { env, cpuProf: init.cpuProf, signal: init.signal }
  const client = await spawnWorker<ClientHello>(CLIENT_SCRIPT, [transport], { ...common, name: `ceiling-client-${transport}` })
  let server: Worker<ServerHello>
  try {
    server = await spawnWorker<ServerHello>(SERVER_SCRIPT, transport === 'tls' && client.hello.peerId != null ? [transport, client.hello.peerId] : [transport], { ...common, name: `ceiling-server-${transport}` })
  } catch (err) {
    await client.stop()
    throw err
  }
  const pair: CeilingPair = {
    transport,
    server,
    client,
    throughput: async ({ bytes, runs = DEFAULT_RUNS, warmupBytes = DEFAULT_WARMUP_BYTES }) => {
      const results: ThroughputRun[] = []
      let cipher: string | undefined
      if (warmupBytes > 0) await client.request({ op: 'throughput', bytes: warmupBytes, runs: 1 }, { signal: init.signal })
      const rss = sampleRss(server.pid)
      try {
        for (let i = 0; i < runs; i++) {
          init.signal?.throwIfAborted()
          const before = await server.request<Usage>({ op: 'usage' })
          const contention = watchContention([server.pid, client.pid])
          const r = await client.request<{ runs: Array<{ bytes: number, seconds: number, cpuSeconds: number, cipher?: string }> }>({ op: 'throughput', bytes, runs: 1 }, { signal: init.signal })
          const { othersShare } = contention.stop()
          const after = await server.request<Usage>({ op: 'usage' })
          const run = r.runs[0]
          if (run == null) throw new Error('client returned no run')
          cipher = run.cipher
          results.push({ bytes: run.bytes, seconds: run.seconds, mbps: mbps(run.bytes, run.seconds), senderCpuSeconds: run.cpuSeconds, receiverCpuSeconds: cpuSeconds(before, after), othersCpuShare: othersShare })
        }
      } finally {
        rss.stop()
      }
      return summarizeThroughput(transport, results, rss.read().peakBytes, cipher)
    },
    latency: async ({ replySize, count = DEFAULT_LATENCY_COUNT, warmup = DEFAULT_LATENCY_WARMUP, maxSeconds = DEFAULT_PHASE_MAX_SECONDS }) => {
      const contention = watchContention([server.pid, client.pid])
      const r = await client.request<{ samplesUs: number[] }>({ op: 'latency', replySize, count, warmup, maxSeconds }, { signal: init.signal })
      return { transport, replySize, ...summarize(r.samplesUs), samplesUs: r.samplesUs, othersCpuShare: contention.stop().othersShare }
    },
    objects: async ({ size, concurrency = DEFAULT_OBJECTS_CONCURRENCY, count = DEFAULT_OBJECTS_COUNT, maxSeconds = DEFAULT_PHASE_MAX_SECONDS }) => {
      const contention = watchContention([server.pid, client.pid])
      const r = await client.request<{ count: number, seconds: number, samplesUs: number[] }>({ op: 'objects', replySize: size, count, concurrency, maxSeconds }, { signal: init.signal })
      const { othersShare } = contention.stop()
      return {
        transport,
        size,
        concurrency,
        count: r.count,
        seconds: r.seconds,
        objectsPerSecond: r.count / r.seconds,
        mbps: mbps(r.count * size, r.seconds),
        latency: summarize(r.samplesUs),
        mode: 'connections',
        othersCpuShare: othersShare
      }
    },
    stop: async () => {
      await Promise.all([client.stop(), server.stop()])
    }
  }
  try {
    await client.request({ op: 'target', transport, port: server.hello.port, peerId: server.hello.peerId, multiaddr: server.hello.multiaddr })
  } catch (err) {
    await pair.stop()
    throw err
  }
  return pair
}

/** Runs `fn` on a fresh pair and always stops the workers. */
export async function withCeilingPair<T> (transport: CeilingTransport, init: CeilingInit, fn: (pair: CeilingPair) => Promise<T>): Promise<T> {
  const pair = await startCeilingPair(transport, init)
  try {
    return await fn(pair)
  } finally {
    await pair.stop()
  }
}

export interface ThroughputOptions extends CeilingInit {
  /** @default DEFAULT_STREAM_BYTES (512 MiB) */
  bytes?: number
  /** @default DEFAULT_RUNS (3); the result is their median */
  runs?: number
}

/** Raw `net` TCP, one connection, 256 KiB writes. */
export async function measureRawTcpMBps (options: ThroughputOptions = {}): Promise<ThroughputResult> {
  return await withCeilingPair('tcp', options, async p => await p.throughput({ bytes: options.bytes ?? DEFAULT_STREAM_BYTES, runs: options.runs }))
}

/** TLS 1.3 (`node:tls`, AES-GCM) with peer-id-bound certificates, one connection. */
export async function measureTlsMBps (options: ThroughputOptions = {}): Promise<ThroughputResult> {
  return await withCeilingPair('tls', options, async p => await p.throughput({ bytes: options.bytes ?? DEFAULT_STREAM_BYTES, runs: options.runs }))
}

/** One libp2p stream over TCP + pnet + Noise + yamux. */
export async function measureLibp2pStreamMBps (options: ThroughputOptions = {}): Promise<ThroughputResult> {
  return await withCeilingPair('libp2p', options, async p => await p.throughput({ bytes: options.bytes ?? DEFAULT_STREAM_BYTES, runs: options.runs }))
}

export interface LatencyOptions extends CeilingInit {
  transport: CeilingTransport
  /** bytes in each reply to a 1-byte request */
  replySize: number
  /** @default DEFAULT_LATENCY_COUNT */
  count?: number
  /** @default DEFAULT_LATENCY_WARMUP */
  warmup?: number
  /** @default DEFAULT_PHASE_MAX_SECONDS */
  maxSeconds?: number
}

/** Sequential 1-byte requests on one reused connection or stream; round trips in µs. */
export async function measureRequestLatency (options: LatencyOptions): Promise<LatencyResult> {
  return await withCeilingPair(options.transport, options, async p => await p.latency(options))
}

export interface SmallObjectsOptions extends CeilingInit {
  /** @default RESNET50_SAMPLE_BYTES (114,660) */
  size?: number
  /** @default DEFAULT_OBJECTS_CONCURRENCY (16) */
  concurrency?: number
  /** @default DEFAULT_OBJECTS_COUNT */
  count?: number
  /** @default DEFAULT_PHASE_MAX_SECONDS */
  maxSeconds?: number
}

/**
 * Objects/s for `size`-byte replies to 1-byte requests over raw TCP, with
 * `concurrency` connections each keeping one request outstanding.
 */
export async function measureRawTcpSmallObjects (options: SmallObjectsOptions = {}): Promise<ObjectsResult> {
  return await withCeilingPair('tcp', options, async p => await p.objects({ size: options.size ?? RESNET50_SAMPLE_BYTES, concurrency: options.concurrency, count: options.count, maxSeconds: options.maxSeconds }))
}
