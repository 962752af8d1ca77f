/**
 * The garbage collector component: every `intervalMs` (and on `runOnce()`)
 * it removes old ref tombstones, audits this node's refs for lost objects,
 * then sweeps unreferenced chunks (see sweep.ts). It also answers members'
 * REFERENCED queries, enabled or not: a node that did not answer would stop
 * every other member's sweeps.
 */
import { logger } from '@libp2p/logger'
import { MAX_REFERENCED_BATCH, createRefPeerClient, isBucketRecord, isCollectableTombstone, recordLocation, refsTransport } from '@weft/protocol'
import { ReferencedAnswerer } from './answerer.js'
import { ChunkAudit } from './audit.js'
import * as C from './constants.js'
import { ManifestFetcher } from './fetch.js'
import { ReferenceScanner } from './scanner.js'
import { quorumOf, sweep } from './sweep.js'
import type { GarbageCollector, GarbageCollectorComponents, GcInit } from './index.js'
import type { GcReport, GcSkip, LostObject } from './types.js'
import type { AbortOptions } from '@libp2p/interface'
import type { RefPeerClient, RefReferencedAnswer } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

const log = logger('weft:node:gc')

type Resolved = Required<Omit<GcInit, 'enabled'>> & { enabled: boolean }

export function resolveGcInit (init: GcInit = {}): Resolved {
  const r: Resolved = {
    enabled: init.enabled ?? true,
    intervalMs: init.intervalMs ?? C.DEFAULT_GC_INTERVAL_MS,
    graceMs: init.graceMs ?? C.DEFAULT_GC_GRACE_MS,
    tombstoneGraceMs: init.tombstoneGraceMs ?? C.DEFAULT_GC_TOMBSTONE_GRACE_MS,
    batch: init.batch ?? C.DEFAULT_GC_BATCH,
    batchDelayMs: init.batchDelayMs ?? C.DEFAULT_GC_BATCH_DELAY_MS,
    queryTimeoutMs: init.queryTimeoutMs ?? C.DEFAULT_GC_QUERY_TIMEOUT_MS,
    fetchTimeoutMs: init.fetchTimeoutMs ?? C.DEFAULT_GC_FETCH_TIMEOUT_MS,
    maxFetchPeers: init.maxFetchPeers ?? C.DEFAULT_GC_MAX_FETCH_PEERS,
    manifestCacheBytes: init.manifestCacheBytes ?? C.DEFAULT_GC_MANIFEST_CACHE_BYTES,
    missingRetryMs: init.missingRetryMs ?? C.DEFAULT_GC_MISSING_RETRY_MS,
    maxLost: init.maxLost ?? C.DEFAULT_GC_MAX_LOST,
    auditChunks: init.auditChunks ?? true
  }
  const positive = [r.intervalMs, r.queryTimeoutMs, r.fetchTimeoutMs, r.maxFetchPeers, r.manifestCacheBytes]
  const nonNegative = [r.graceMs, r.tombstoneGraceMs, r.batchDelayMs, r.missingRetryMs, r.maxLost]
  if (positive.some(v => !(v > 0)) || nonNegative.some(v => !(v >= 0))) throw new TypeError('gc timings and limits must be non-negative numbers (intervals, timeouts and sizes positive)')
  if (!Number.isInteger(r.batch) || r.batch < 1 || r.batch > MAX_REFERENCED_BATCH) throw new TypeError(`gc.batch must be an integer from 1 to ${MAX_REFERENCED_BATCH}`)
  return r
}

export class DefaultGarbageCollector implements GarbageCollector {
  readonly name = 'gc'
  status: 'stopped' | 'started' = 'stopped'
  private readonly c: GarbageCollectorComponents
  private readonly init: Resolved
  private readonly scanner: ReferenceScanner
  private controller = new AbortController()
  private answerer: ReferencedAnswerer
  private refClient?: RefPeerClient
  private timer?: ReturnType<typeof setTimeout>
  private chain: Promise<unknown> = Promise.resolve()
  private lostList: LostObject[] = []
  private last?: GcReport

  constructor (components: GarbageCollectorComponents, init: GcInit = {}) {
    this.c = components
    this.init = resolveGcInit(init)
    const fetcher = new ManifestFetcher({
      self: components.self,
      store: components.store,
      chunkClient: components.chunkClient,
      map: () => components.map(),
      liveness: id => components.member(id)?.liveness
    }, this.init)
    this.scanner = new ReferenceScanner({ refs: () => components.refs(), fetcher }, this.init)
    this.answerer = new ReferencedAnswerer(this.scanner, C.MAX_GC_PENDING_QUERIES, this.controller.signal)
  }

  async start (): Promise<void> {
    if (this.status === 'started') return
    this.controller = new AbortController()
    this.answerer = new ReferencedAnswerer(this.scanner, C.MAX_GC_PENDING_QUERIES, this.controller.signal)
    this.refClient = createRefPeerClient({ transport: refsTransport(this.c.dialer) })
    this.status = 'started'
    if (this.init.enabled) this.schedule()
  }

  async stop (): Promise<void> {
    if (this.status === 'stopped') return
    this.status = 'stopped'
    clearTimeout(this.timer)
    this.timer = undefined
    this.controller.abort(new Error('garbage collector stopping'))
    await this.chain.catch(() => {})
    await this.refClient?.close()
    this.refClient = undefined
  }

  async referenced (cids: readonly CID[], options: AbortOptions = {}): Promise<RefReferencedAnswer> {
    return this.answerer.referenced(cids, options)
  }

  lost (): LostObject[] {
    return [...this.lostList]
  }

  lastReport (): GcReport | undefined {
    return this.last
  }

  async runOnce (options: AbortOptions = {}): Promise<GcReport> {
    // one sweep at a time; a call during a sweep gets a fresh one after it
    const run = this.chain.catch(() => {}).then(async () => this.run(options))
    this.chain = run
    return run
  }

  private schedule (): void {
    this.timer = setTimeout(() => {
      this.runOnce()
        .catch(err => {
          if (this.status === 'started') log.error('garbage collection failed - %e', err)
          this.c.metrics?.gcRuns.inc({ outcome: 'failed' })
        })
        .finally(() => { if (this.status === 'started') this.schedule() })
    }, this.init.intervalMs)
    this.timer.unref?.()
  }

  private async run (options: AbortOptions): Promise<GcReport> {
    const startedAt = Date.now()
    if (this.status !== 'started') return this.finish(startedAt, { candidates: 0, deleted: 0, bytesFreed: 0, members: 0, skipped: { reason: 'not-started', detail: 'the garbage collector is stopped' } }, 0)
    const signal = options.signal != null ? AbortSignal.any([options.signal, this.controller.signal]) : this.controller.signal
    const tombstones = await this.collectTombstones(startedAt, signal)
    await this.audit(signal)
    const client = this.refClient as RefPeerClient
    const result = await sweep({
      self: this.c.self,
      store: this.c.store,
      members: () => this.c.members(),
      ask: async (peer, cids, o) => client.referenced(peer, cids, { signal: o.signal, timeout: this.init.queryTimeoutMs }),
      local: async (cids, o) => this.answerer.referenced(cids, o)
    }, this.init, startedAt, { signal })
    // touches older than the cutoff no longer protect anything
    this.c.store.forgetTouchesBefore(startedAt - this.init.graceMs)
    return this.finish(startedAt, result, tombstones)
  }

  private finish (startedAt: number, r: { candidates: number, deleted: number, bytesFreed: number, members: number, skipped?: GcSkip }, tombstonesRemoved: number): GcReport {
    const report: GcReport = { startedAt, durationMs: Date.now() - startedAt, ...r, tombstonesRemoved, lost: this.lost() }
    const m = this.c.metrics
    m?.gcRuns.inc({ outcome: r.skipped === undefined ? 'done' : 'skipped' })
    if (r.skipped !== undefined) m?.gcSkipped.inc({ reason: r.skipped.reason })
    m?.gcDeletedChunks.inc(r.deleted)
    m?.gcFreedBytes.inc(r.bytesFreed)
    m?.gcTombstones.inc(tombstonesRemoved)
    if (r.skipped !== undefined) log('sweep deleted %d of %d candidates, then stopped: %s (%s)', r.deleted, r.candidates, r.skipped.reason, r.skipped.detail)
    else log('sweep deleted %d of %d candidates (%d bytes), %d tombstones', r.deleted, r.candidates, r.bytesFreed, tombstonesRemoved)
    this.last = report
    return report
  }

  private async collectTombstones (now: number, signal: AbortSignal): Promise<number> {
    const store = this.c.refs()
    let removed = 0
    for await (const record of store.records({ signal })) {
      if (isBucketRecord(record) || !isCollectableTombstone(record, now, this.init.tombstoneGraceMs)) continue
      if (await store.deleteIfVersion(recordLocation(record), record.version)) removed++
    }
    return removed
  }

  /**
   * Walks every live ref held here (HAS-checking data chunks when enabled)
   * and replaces the lost list. Only when every member that is not out can
   * be asked: a copy may sit on a member that is merely down.
   */
  private async audit (signal: AbortSignal): Promise<void> {
    const { peers, unreachable } = quorumOf(this.c.self, this.c.members())
    if (unreachable.length > 0) {
      log('lost-object audit postponed: %s not answering', unreachable.join(', '))
      return
    }
    const audit = this.init.auditChunks ? new ChunkAudit({ store: this.c.store, chunkClient: this.c.chunkClient, peers }, this.init.batch) : undefined
    const scan = await this.scanner.scan({
      reached: () => false,
      dataChunks: audit !== undefined ? async (ref, digests, o) => audit.add(ref, digests, o) : undefined
    }, { signal })
    await audit?.flush({ signal })
    const lost = [...scan.lost, ...(audit?.lost ?? [])]
    const before = new Set(this.lostList.map(l => `${l.bucket}/${l.key}`))
    for (const l of lost) {
      if (!before.has(`${l.bucket}/${l.key}`)) log.error('object %s/%s is lost: %s (%s)', l.bucket, l.key, l.reason, l.detail)
    }
    this.lostList = lost.slice(0, this.init.maxLost)
    this.c.metrics?.lostObjects.set(lost.length)
  }
}
