/**
 * The read side of a client: finds a chunk's replicas, reads from the best
 * with hedging and failover, and streams many chunks in order with a bounded
 * read-ahead. Keeps the measurements and counters that drive (and explain)
 * the replica choice.
 */
import { hedgedRead } from './hedged.js'
import { Locator } from './locate.js'
import { readAhead } from './read-ahead.js'
import { ReplicaStats } from './stats.js'
import { resultBytes, wireBytes } from './fetch.js'
import type { ChunkRead, ChunkReader } from './fetch.js'
import type { HedgedReadInit, HedgedResult, ReplicaFault } from './hedged.js'
import type { ReadAheadInit } from './read-ahead.js'
import type { PeerMeasurement, ReplicaStatsInit } from './stats.js'
import type { Placement, PlacementPolicy, Reader } from '@weft/placement'

export interface ReplicaReaderComponents {
  chunks: ChunkReader
  /** the current cluster map's placement */
  placement(): Placement
  /** this client's peer id and zone */
  reader: Reader
  /** told about every replica answer that could not be used */
  onFault?(fault: ReplicaFault): void
}

export interface ReplicaReaderInit extends HedgedReadInit, ReadAheadInit {
  stats?: ReplicaStatsInit
}

/** Counters of everything the read path did. */
export interface ReadCounters {
  /** chunk reads answered */
  chunks: number
  /** bytes handed to callers */
  bytes: number
  /** extra requests sent because the first replica was slow */
  hedges: number
  /** chunk reads a hedge answered */
  hedgeWins: number
  /** replicas asked again after one failed */
  failovers: number
  /** replica answers that failed verification or that the node found corrupt */
  corrupt: number
  /** frames received into a buffer reused from an earlier piece (gets with `reuseBuffers`, over the bulk channel) */
  buffersReused: number
}

/** What the client measured and counted, for tests, metrics and tools. */
export interface ReadStats extends ReadCounters {
  peers: Map<string, Readonly<PeerMeasurement>>
}

/** One chunk of a streamed read, with the policy its bucket places it by. */
export interface ReadJob {
  readonly read: ChunkRead
  readonly policy: PlacementPolicy
}

export class ReplicaReader {
  readonly stats: ReplicaStats
  private readonly c: ReplicaReaderComponents
  private readonly init: ReplicaReaderInit
  private readonly locator: Locator
  private readonly counters: ReadCounters = { chunks: 0, bytes: 0, hedges: 0, hedgeWins: 0, failovers: 0, corrupt: 0, buffersReused: 0 }

  constructor (components: ReplicaReaderComponents, init: ReplicaReaderInit = {}) {
    this.c = components
    this.init = init
    this.stats = new ReplicaStats(init.stats)
    this.locator = new Locator({ placement: () => components.placement(), stats: this.stats, reader: components.reader })
  }

  /** One chunk (or block range of it), verified, from the best replica. */
  async read (job: ReadJob, signal?: AbortSignal): Promise<HedgedResult> {
    const candidates = this.locator.candidates(job.read.cid, job.policy)
    const result = await hedgedRead({
      chunks: this.c.chunks,
      stats: this.stats,
      onFault: fault => {
        this.counters.failovers++
        if (fault.kind === 'corrupt') this.counters.corrupt++
        this.c.onFault?.(fault)
      }
    }, this.init, candidates, job.read, signal)
    this.counters.chunks++
    this.counters.bytes += resultBytes(job.read)
    if (result.hedgeWin) this.counters.hedgeWins++
    this.counters.hedges += result.hedges
    return result
  }

  /** The bytes of `jobs`, in order, fetched ahead within the read-ahead budget. */
  stream (jobs: AsyncIterable<ReadJob>, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
    return readAhead(jobs, {
      budgetBytes: this.init.budgetBytes,
      maxJobs: this.init.maxJobs,
      // results are views of what was fetched: the whole fetch stays in memory until consumed
      cost: job => wireBytes(job.read),
      run: async (job, s) => (await this.read(job, s)).parts,
      signal
    })
  }

  /** A get that lent its pieces (`reuseBuffers`) received `n` frames into buffers it had used before. */
  countReusedBuffers (n: number): void {
    this.counters.buffersReused += n
  }

  counts (): ReadStats {
    return { ...this.counters, peers: this.stats.all() }
  }
}
