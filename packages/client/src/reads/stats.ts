/**
 * What a client has measured of the replicas it reads from: per peer, a
 * moving average of time to first byte and the requests in flight; over all
 * peers, the recent times to first byte (for the hedge delay) and an
 * allowance of hedges earned by requests. Only this client's own requests
 * count, so the numbers describe the path from here, not a node's opinion
 * of itself.
 *
 * Time to first byte, not time to the last: once a replica is sending, it
 * is alive and serving, and a whole-chunk time grows with the number of
 * reads sharing the connection (a busy read-ahead would look slow and hedge
 * everything).
 */
import {
  DEFAULT_FAILURE_PENALTY_MS, DEFAULT_FAILURE_PENALTY_WINDOW_MS, DEFAULT_HEDGE_BURST, DEFAULT_HEDGE_FLOOR_MS,
  DEFAULT_HEDGE_PERCENTILE, DEFAULT_HEDGE_RATIO, DEFAULT_INITIAL_HEDGE_MS, DEFAULT_LATENCY_ALPHA, DEFAULT_LATENCY_WINDOW,
  DEFAULT_MEASUREMENT_TTL_MS, MIN_HEDGE_SAMPLES, RACES_LOST_TO_PENALTY, SLOW_FACTOR
} from './constants.js'
import type { PeerStats } from '@weft/placement'

export interface ReplicaStatsInit {
  /**
   * weight of a new sample in a peer's moving average (0..1]
   *
   * @default DEFAULT_LATENCY_ALPHA
   */
  alpha?: number
  /**
   * recent times to first byte kept for the percentile
   *
   * @default DEFAULT_LATENCY_WINDOW
   */
  window?: number
  /**
   * percentile of recent times to first byte after which a request is hedged (0..1)
   *
   * @default DEFAULT_HEDGE_PERCENTILE
   */
  hedgePercentile?: number
  /**
   * lowest hedge delay (ms)
   *
   * @default DEFAULT_HEDGE_FLOOR_MS
   */
  hedgeFloorMs?: number
  /**
   * hedge delay (ms) before there are enough samples
   *
   * @default DEFAULT_INITIAL_HEDGE_MS
   */
  initialHedgeMs?: number
  /**
   * hedges earned per request (0 turns hedging off)
   *
   * @default DEFAULT_HEDGE_RATIO
   */
  hedgeRatio?: number
  /**
   * most hedges spent at once from the allowance
   *
   * @default DEFAULT_HEDGE_BURST
   */
  hedgeBurst?: number
  /**
   * how long (ms) a failed peer is pushed back in the reader order
   *
   * @default DEFAULT_FAILURE_PENALTY_WINDOW_MS
   */
  penaltyWindowMs?: number
  /**
   * a peer's latency measured longer ago than this (ms) is forgotten
   *
   * @default DEFAULT_MEASUREMENT_TTL_MS
   */
  measurementTtlMs?: number
  /** @default Date.now (injectable for tests) */
  now?: () => number
}

/** One peer as the client sees it. */
export interface PeerMeasurement {
  /** moving average of time to first byte (ms); undefined before the first answer */
  latencyMs?: number
  inFlight: number
  /** requests answered in full */
  ok: number
  /** bytes of those answers */
  bytes: number
  failed: number
  /** until when (ms since the epoch) it is penalised after a failure */
  penalisedUntil: number
  /** when (ms since the epoch) latencyMs last changed */
  measuredAt: number
  /** hedge races lost in a row before sending a byte */
  racesLost: number
}

class Ring {
  private readonly values: Float64Array
  private next = 0
  count = 0

  constructor (size: number) {
    this.values = new Float64Array(size)
  }

  push (v: number): void {
    this.values[this.next] = v
    this.next = (this.next + 1) % this.values.length
    this.count = Math.min(this.count + 1, this.values.length)
  }

  percentile (p: number): number {
    const sorted = this.values.slice(0, this.count).sort()
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
  }
}

export class ReplicaStats {
  private readonly peers = new Map<string, PeerMeasurement>()
  private readonly firstBytes: Ring
  private readonly alpha: number
  private readonly hedgePercentile: number
  private readonly hedgeFloorMs: number
  private readonly initialHedgeMs: number
  private readonly hedgeRatio: number
  private readonly hedgeBurst: number
  private readonly penaltyWindowMs: number
  private readonly measurementTtlMs: number
  private readonly now: () => number
  private hedgeTokens: number

  constructor (init: ReplicaStatsInit = {}) {
    this.alpha = init.alpha ?? DEFAULT_LATENCY_ALPHA
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new RangeError('alpha must be in (0, 1]')
    this.firstBytes = new Ring(init.window ?? DEFAULT_LATENCY_WINDOW)
    this.hedgePercentile = init.hedgePercentile ?? DEFAULT_HEDGE_PERCENTILE
    this.hedgeFloorMs = init.hedgeFloorMs ?? DEFAULT_HEDGE_FLOOR_MS
    this.initialHedgeMs = init.initialHedgeMs ?? DEFAULT_INITIAL_HEDGE_MS
    this.hedgeRatio = init.hedgeRatio ?? DEFAULT_HEDGE_RATIO
    this.hedgeBurst = init.hedgeBurst ?? DEFAULT_HEDGE_BURST
    this.hedgeTokens = this.hedgeBurst
    this.penaltyWindowMs = init.penaltyWindowMs ?? DEFAULT_FAILURE_PENALTY_WINDOW_MS
    this.measurementTtlMs = init.measurementTtlMs ?? DEFAULT_MEASUREMENT_TTL_MS
    this.now = init.now ?? Date.now
  }

  /** Counts a request to `peer` as in flight until the returned function is called (once). */
  begin (peer: string): () => void {
    const m = this.peer(peer)
    m.inFlight++
    let done = false
    return () => {
      if (!done) {
        done = true
        m.inFlight--
      }
    }
  }

  /** A chunk read started: it earns a share of a hedge. */
  requested (): void {
    this.hedgeTokens = Math.min(this.hedgeBurst, this.hedgeTokens + this.hedgeRatio)
  }

  /** Spends one hedge from the allowance; false when none is left. */
  takeHedge (): boolean {
    if (this.hedgeTokens < 1) return false
    this.hedgeTokens -= 1
    return true
  }

  /**
   * Time to first byte of an answer from `peer`. `censored` marks a lower
   * bound (a request given up before its first byte): it moves the peer's
   * average but not the hedge percentile.
   */
  latency (peer: string, ms: number, censored = false): void {
    const m = this.peer(peer)
    if (!censored) m.racesLost = 0
    const current = this.latencyOf(m)
    m.latencyMs = current === undefined ? ms : current + this.alpha * (ms - current)
    m.measuredAt = this.now()
    if (!censored) this.firstBytes.push(ms)
  }

  /** A request of `bytes` answered in full. */
  completed (peer: string, bytes: number): void {
    const m = this.peer(peer)
    m.ok++
    m.bytes += bytes
  }

  /** `peer` lost a hedge race before sending a byte (evidence for `isSlow`); any answer it starts resets the count. */
  lostRace (peer: string): void {
    this.peer(peer).racesLost++
  }

  /** `peer` failed a request (error, timeout, bad bytes): keep it at the back of the order for a while. */
  failed (peer: string): void {
    const m = this.peer(peer)
    m.failed++
    m.penalisedUntil = this.now() + this.penaltyWindowMs
  }

  /** How long to wait for a first byte before asking another replica too (ms). */
  hedgeDelay (): number {
    if (this.firstBytes.count < MIN_HEDGE_SAMPLES) return Math.max(this.initialHedgeMs, this.hedgeFloorMs)
    return Math.max(this.firstBytes.percentile(this.hedgePercentile), this.hedgeFloorMs)
  }

  /**
   * True when `peer` should be asked only after the others, even in the
   * reader's own zone: it failed recently, or it lost hedge races in a row
   * and its first bytes take more than SLOW_FACTOR times the median of the
   * other peers' (both forgotten after a while, so it is tried again).
   */
  isSlow (peer: string): boolean {
    const m = this.peers.get(peer)
    if (m === undefined) return false
    if (m.penalisedUntil > this.now()) return true
    if (m.racesLost < RACES_LOST_TO_PENALTY) return false
    const latency = this.latencyOf(m)
    const others: number[] = []
    for (const [id, o] of this.peers) {
      const l = id === peer ? undefined : this.latencyOf(o)
      if (l !== undefined) others.push(l)
    }
    if (latency === undefined || others.length === 0) return false
    others.sort((a, b) => a - b)
    return latency > SLOW_FACTOR * (others[Math.floor(others.length / 2)] ?? 0)
  }

  get (peer: string): Readonly<PeerMeasurement> | undefined {
    return this.peers.get(peer)
  }

  /** Every peer measured so far. */
  all (): Map<string, Readonly<PeerMeasurement>> {
    return new Map(this.peers)
  }

  /**
   * What placement's `readerOrder` ranks by. `latencyMs` is the expected
   * wait: the moving average times (1 + requests in flight), so requests
   * spread over replicas of similar latency instead of piling on the single
   * fastest one. A peer not measured yet is assumed to be as fast as the
   * median measured one (otherwise it would never be tried while any
   * measured peer answers); a penalised peer gets a large penalty on top.
   */
  snapshot (peers: Iterable<string>): Map<string, PeerStats> {
    const now = this.now()
    const known: number[] = []
    for (const m of this.peers.values()) {
      const latency = this.latencyOf(m)
      if (latency !== undefined) known.push(latency)
    }
    known.sort((a, b) => a - b)
    const prior = known.length > 0 ? known[Math.floor(known.length / 2)] : undefined
    const out = new Map<string, PeerStats>()
    for (const id of peers) {
      const m = this.peers.get(id)
      const base = (m !== undefined ? this.latencyOf(m) : undefined) ?? prior
      if (base === undefined) continue
      const inFlight = m?.inFlight ?? 0
      const penalty = m !== undefined && m.penalisedUntil > now ? DEFAULT_FAILURE_PENALTY_MS : 0
      out.set(id, { latencyMs: base * (1 + inFlight) + penalty, inFlight })
    }
    return out
  }

  /** The peer's latency, unless measured too long ago to mean anything now. */
  private latencyOf (m: PeerMeasurement): number | undefined {
    return m.latencyMs !== undefined && this.now() - m.measuredAt <= this.measurementTtlMs ? m.latencyMs : undefined
  }

  private peer (id: string): PeerMeasurement {
    let m = this.peers.get(id)
    if (m === undefined) {
      m = { inFlight: 0, ok: 0, bytes: 0, failed: 0, penalisedUntil: 0, measuredAt: 0, racesLost: 0 }
      this.peers.set(id, m)
    }
    return m
  }
}
