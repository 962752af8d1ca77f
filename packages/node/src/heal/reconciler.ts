/**
 * The background reconciler: one per node. Driven by changes of the target
 * map (joins, outs, drains, weight changes; debounced) and a slow periodic
 * sweep, it runs passes over the chunks and refs this node holds until a
 * pass finds nothing to do. One pass at a time.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { createPlacement } from '@weft/placement'
import { BucketPolicies } from './bucket-policies.js'
import { chunkPass } from './chunk-pass.js'
import * as C from './constants.js'
import { emptyPass, settled } from './progress.js'
import { refPass } from './ref-pass.js'
import { mapSignature, targetMap } from './target-map.js'
import { Throttle } from './throttle.js'
import type { CopyKind, HealStatus, HealTotals, PassReport } from './progress.js'
import type { NodeMetrics } from '../admin/metrics.js'
import type { NodeComponent } from '../component.js'
import type { Member } from '../membership/types.js'
import type { RefStore } from '../refs/store.js'
import type { ChunkStore } from '../store/index.js'
import type { ClusterMap, Placement } from '@weft/placement'
import type { ChunkClient, RefPeerClient } from '@weft/protocol'

const log = logger('weft:node:heal')

export interface HealInit {
  /** @default DEFAULT_HEAL_SETTLE_MS */
  settleMs?: number
  /** @default DEFAULT_HEAL_SWEEP_MS */
  sweepMs?: number
  /** @default DEFAULT_HEAL_RETRY_MS */
  retryMs?: number
  /** @default DEFAULT_HEAL_BATCH */
  batch?: number
  /** @default DEFAULT_HEAL_MAX_TASKS */
  maxTasks?: number
  /** @default DEFAULT_HEAL_CONCURRENCY */
  concurrency?: number
  /** 0 = unlimited; @default DEFAULT_HEAL_BYTES_PER_SECOND */
  bytesPerSecond?: number
  /** @default DEFAULT_HEAL_YIELD_ABOVE_REQUESTS */
  yieldAboveRequests?: number
  /** @default DEFAULT_HEAL_REQUEST_TIMEOUT_MS */
  requestTimeoutMs?: number
}

export interface HealComponents {
  self: string
  members(): Member[]
  store: ChunkStore
  /** the ref store (open while the node runs) */
  refStore(): RefStore
  chunkClient: Pick<ChunkClient, 'has' | 'put'>
  refClient: Pick<RefPeerClient, 'get' | 'put'>
  /** client requests this node is serving right now (background work yields to them) */
  activeRequests(): number
  metrics: Pick<NodeMetrics, 'backgroundPending' | 'backgroundPendingBytes' | 'backgroundBytes'>
  /** whether this node is draining (its own record may not show it yet) */
  draining(): boolean
}

export interface HealEvents {
  'heal:pass': CustomEvent<PassReport>
}

function positive (value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback
  if (!(v > 0)) throw new TypeError(`heal.${name} must be a positive number`)
  return v
}

export class Reconciler extends TypedEventEmitter<HealEvents> implements NodeComponent {
  readonly name = 'heal'
  private readonly c: HealComponents
  private readonly settleMs: number
  private readonly sweepMs: number
  private readonly retryMs: number
  private readonly batch: number
  private readonly maxTasks: number
  private readonly concurrency: number
  private readonly requestTimeoutMs: number
  private readonly throttle: Throttle
  private readonly buckets: BucketPolicies
  private readonly totals: HealTotals = { passes: 0, chunkCopies: 0, copiedBytes: 0, copiedBytesByKind: { repair: 0, rebalance: 0 }, refCopies: 0, chunksDeleted: 0, deletedBytes: 0, refsDeleted: 0 }
  private readonly pending: HealStatus['pending'] = { repair: { chunks: 0, bytes: 0 }, rebalance: { chunks: 0, bytes: 0 } }
  private state: HealStatus['state'] = 'stopped'
  private lastPass?: PassReport
  private lastSignature = ''
  private backoff: number
  private timer?: ReturnType<typeof setTimeout>
  private timerAt = Infinity
  private sweeper?: ReturnType<typeof setInterval>
  private running?: Promise<PassReport>
  private again = false
  private controller = new AbortController()

  constructor (components: HealComponents, init: HealInit = {}) {
    super()
    this.c = components
    this.settleMs = positive(init.settleMs, C.DEFAULT_HEAL_SETTLE_MS, 'settleMs')
    this.sweepMs = positive(init.sweepMs, C.DEFAULT_HEAL_SWEEP_MS, 'sweepMs')
    this.retryMs = positive(init.retryMs, C.DEFAULT_HEAL_RETRY_MS, 'retryMs')
    this.batch = positive(init.batch, C.DEFAULT_HEAL_BATCH, 'batch')
    this.maxTasks = positive(init.maxTasks, C.DEFAULT_HEAL_MAX_TASKS, 'maxTasks')
    this.concurrency = positive(init.concurrency, C.DEFAULT_HEAL_CONCURRENCY, 'concurrency')
    this.requestTimeoutMs = positive(init.requestTimeoutMs, C.DEFAULT_HEAL_REQUEST_TIMEOUT_MS, 'requestTimeoutMs')
    const yieldAbove = init.yieldAboveRequests ?? C.DEFAULT_HEAL_YIELD_ABOVE_REQUESTS
    this.throttle = new Throttle({ bytesPerSecond: init.bytesPerSecond ?? C.DEFAULT_HEAL_BYTES_PER_SECOND, busy: () => components.activeRequests() > yieldAbove })
    this.buckets = new BucketPolicies({ self: components.self, store: { get: async loc => components.refStore().get(loc) }, client: components.refClient, requestTimeoutMs: this.requestTimeoutMs })
    this.backoff = this.retryMs
  }

  async start (): Promise<void> {
    if (this.state !== 'stopped') return
    this.controller = new AbortController()
    this.state = 'idle'
    this.lastSignature = mapSignature(this.targetMap())
    this.sweeper = setInterval(() => { this.schedule(0) }, this.sweepMs)
    this.sweeper.unref()
    // a restarted node may hold hand-offs or surplus copies from before
    this.schedule(this.settleMs)
  }

  async stop (): Promise<void> {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    clearInterval(this.sweeper)
    clearTimeout(this.timer)
    this.timer = undefined
    this.controller.abort(new Error('the node is stopping'))
    await this.running?.catch(() => {})
  }

  /** Tells the reconciler the members changed; a pass follows once the map has been still for `settleMs`. */
  notify (): void {
    if (this.state === 'stopped') return
    const signature = mapSignature(this.targetMap())
    if (signature === this.lastSignature) return
    this.lastSignature = signature
    this.backoff = this.retryMs
    this.schedule(this.settleMs, true)
  }

  /** Runs one pass now (after the one in progress, if any) and resolves with its report. */
  async runOnce (): Promise<PassReport> {
    while (this.running != null) await this.running.catch(() => {})
    return this.pass()
  }

  status (drainedStore: { chunks: number, refs: number }): HealStatus {
    const isSettled = this.lastPass != null && settled(this.lastPass)
    const draining = this.c.draining()
    const status: HealStatus = {
      state: this.state,
      pending: { repair: { ...this.pending.repair }, rebalance: { ...this.pending.rebalance } },
      totals: { ...this.totals, copiedBytesByKind: { ...this.totals.copiedBytesByKind } },
      settled: isSettled,
      draining,
      drained: draining && isSettled && drainedStore.chunks === 0 && drainedStore.refs === 0
    }
    if (this.lastPass != null) status.lastPass = { ...this.lastPass }
    return status
  }

  /** The map data is placed by: the live members, silent ones still owning their data until out. */
  targetMap (): ClusterMap {
    const map = targetMap(this.c.members(), 0)
    if (!this.c.draining()) return map
    return { version: 0, nodes: map.nodes.map(n => n.peerId === this.c.self && n.state === 'up' ? { ...n, state: 'draining' } : n) }
  }

  private schedule (delayMs: number, restart = false): void {
    if (this.state === 'stopped') return
    if (this.running != null) {
      if (restart) this.again = true
      return
    }
    const at = Date.now() + delayMs
    if (!restart && this.timer != null && this.timerAt <= at) return
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerAt = Infinity
      void this.pass().catch(err => { log.error('pass failed - %e', err) })
    }, delayMs)
    this.timer.unref()
  }

  private async pass (): Promise<PassReport> {
    if (this.state === 'stopped') throw new Error('the reconciler is stopped')
    const run = this.runPass()
    this.running = run
    try {
      return await run
    } finally {
      this.running = undefined
      this.afterPass()
    }
  }

  private afterPass (): void {
    if (this.state === 'stopped') return
    if (this.again) {
      this.again = false
      this.schedule(this.settleMs, true)
      return
    }
    const last = this.lastPass
    if (last != null && !settled(last)) {
      this.state = 'waiting'
      // a pass that moved or removed something goes again soon; one that only
      // waited (on copies by others, on an owner not answering) backs off
      const progressed = last.chunkCopies + last.refCopies + last.chunksDeleted + last.refsDeleted > 0
      if (progressed) this.backoff = this.retryMs
      this.schedule(this.backoff)
      if (!progressed) this.backoff = Math.min(this.backoff * 2, this.retryMs * C.MAX_HEAL_BACKOFF_FACTOR, this.sweepMs)
    } else {
      this.state = 'idle'
      this.backoff = this.retryMs
    }
  }

  private async runPass (): Promise<PassReport> {
    this.state = 'running'
    const started = performance.now()
    const report = emptyPass()
    const placement: Placement = createPlacement(this.targetMap())
    const signal = this.controller.signal
    await chunkPass({
      self: this.c.self,
      store: this.c.store,
      client: this.c.chunkClient,
      placement,
      throttle: this.throttle,
      batch: this.batch,
      maxTasks: this.maxTasks,
      concurrency: this.concurrency,
      requestTimeoutMs: this.requestTimeoutMs,
      report,
      signal,
      onPending: (kind, chunks, bytes) => { this.setPending(kind, chunks, bytes) },
      onCopied: (kind, bytes) => {
        this.totals.copiedBytesByKind[kind] += bytes
        this.c.metrics.backgroundBytes.inc({ kind }, bytes)
      }
    })
    await refPass({
      self: this.c.self,
      store: this.c.refStore(),
      client: this.c.refClient,
      placement,
      buckets: this.buckets,
      concurrency: this.concurrency,
      requestTimeoutMs: this.requestTimeoutMs,
      report,
      signal
    })
    report.durationMs = Math.round(performance.now() - started)
    this.lastPass = report
    this.totals.passes++
    this.totals.chunkCopies += report.chunkCopies
    this.totals.copiedBytes += report.copiedBytes
    this.totals.refCopies += report.refCopies
    this.totals.chunksDeleted += report.chunksDeleted
    this.totals.deletedBytes += report.deletedBytes
    this.totals.refsDeleted += report.refsDeleted
    if (!settled(report)) log('pass: %o', report)
    this.safeDispatchEvent('heal:pass', { detail: report })
    return report
  }

  private setPending (kind: CopyKind, chunks: number, bytes: number): void {
    this.pending[kind] = { chunks, bytes }
    this.c.metrics.backgroundPending.set({ kind }, chunks)
    this.c.metrics.backgroundPendingBytes.set({ kind }, bytes)
  }
}
