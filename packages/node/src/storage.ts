/**
 * Ties the chunk store to the rest of the node: its usage goes into the
 * node record (so the map says when a node is full) and into the metrics,
 * and every chunk request served is counted and timed.
 *
 * One truth for capacity: the store's `usage().capacityBytes` (the configured
 * limit, or less when the disk is smaller) is what the record announces, and
 * what puts are checked against. The placement weight is separate and stable
 * (see createWeftNode): free disk space moving with other files must not move
 * data.
 */
import { logger } from '@libp2p/logger'
import { CAPACITY_CHANGE_FRACTION } from './constants.js'
import type { NodeMetrics } from './admin/metrics.js'
import type { Usage } from './capacity.js'
import type { ChunkRequestOutcome } from './chunk/observe.js'
import type { ChunkService } from './chunk/service.js'
import type { NodeComponent } from './component.js'
import type { RecordPatch } from './membership/types.js'
import type { ChunkStore, StoreUsage } from './store/index.js'

const log = logger('weft:node:storage')

export interface StorageReporterComponents {
  store: Pick<ChunkStore, 'usage' | 'addEventListener' | 'removeEventListener'>
  metrics: NodeMetrics
  chunks: Pick<ChunkService, 'stats'>
  /** patches this node's record (its next heartbeat publishes it) */
  updateRecord(patch: RecordPatch): void
}

export class StorageReporter implements NodeComponent {
  readonly name = 'storage'
  private readonly c: StorageReporterComponents
  private announced?: { capacityBytes: number, full: boolean }
  private bytesSincePoll = 0
  private polledAt = performance.now()
  private running = false

  constructor (components: StorageReporterComponents) {
    this.c = components
    this.updateGauges(components.store.usage())
  }

  /** The record fields the store determines, for the node's first record. */
  initialFields (): { capacityBytes: number, usedBytes: number, full: boolean } {
    const u = this.c.store.usage()
    this.announced = { capacityBytes: announcedCapacity(u), full: u.full }
    return { capacityBytes: announcedCapacity(u), usedBytes: Math.round(u.usedBytes), full: u.full }
  }

  /**
   * Membership's usage hook (polled every few heartbeats): refreshes the
   * record's capacity and load alongside the used bytes and full flag it returns.
   */
  poll (): Usage {
    const u = this.c.store.usage()
    this.updateGauges(u)
    const patch: RecordPatch = {}
    const capacityBytes = announcedCapacity(u)
    const before = this.announced?.capacityBytes ?? 0
    if (Math.abs(capacityBytes - before) > before * CAPACITY_CHANGE_FRACTION) {
      patch.capacityBytes = capacityBytes
    }
    const now = performance.now()
    const seconds = Math.max(0.001, (now - this.polledAt) / 1000)
    patch.load = { inFlight: this.c.chunks.stats().activeRequests, mbps: Math.round(this.bytesSincePoll / seconds / 1e5) / 10 }
    this.bytesSincePoll = 0
    this.polledAt = now
    this.apply(patch, u)
    return { usedBytes: u.usedBytes, full: u.full }
  }

  /** The chunk service's request observer: metrics, and load for the record. */
  readonly observe = (o: ChunkRequestOutcome): void => {
    const m = this.c.metrics
    m.requests.inc({ op: o.op, status: o.status })
    m.requestSeconds.observe({ op: o.op }, o.seconds)
    if (o.bytesIn > 0) m.bytesIn.inc({ op: o.op }, o.bytesIn)
    if (o.bytesOut > 0) m.bytesOut.inc({ op: o.op }, o.bytesOut)
    this.bytesSincePoll += o.bytesIn + o.bytesOut
    // a refused put may be the first sign that the disk filled up under us
    if (o.status === 'ERR_STORE_FULL') this.onStoreChange()
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.c.store.addEventListener('chunk:stored', this.onStoreChange)
    this.c.store.addEventListener('chunk:deleted', this.onStoreChange)
    this.c.store.addEventListener('chunk:corrupt', this.onCorrupt)
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.c.store.removeEventListener('chunk:stored', this.onStoreChange)
    this.c.store.removeEventListener('chunk:deleted', this.onStoreChange)
    this.c.store.removeEventListener('chunk:corrupt', this.onCorrupt)
  }

  private readonly onCorrupt = (): void => {
    this.c.metrics.corruptions.inc()
    this.onStoreChange()
  }

  /**
   * Gauges follow every change; the record only when `full` flips (waiting
   * for the next poll would let writers keep choosing a full node for
   * several beats), otherwise used bytes go out with the periodic poll.
   */
  private readonly onStoreChange = (): void => {
    const u = this.c.store.usage()
    this.updateGauges(u)
    if (this.announced != null && u.full !== this.announced.full) {
      log('store is %s', u.full ? 'full' : 'no longer full')
      this.apply({}, u)
    }
  }

  private apply (patch: RecordPatch, u: StoreUsage): void {
    try {
      this.c.updateRecord({ ...patch, usedBytes: Math.round(u.usedBytes), full: u.full })
      this.announced = { capacityBytes: patch.capacityBytes ?? this.announced?.capacityBytes ?? announcedCapacity(u), full: u.full }
    } catch (err) {
      log.error('cannot update the record with the store usage - %e', err)
    }
  }

  private updateGauges (u: StoreUsage): void {
    this.c.metrics.usedBytes.set(u.usedBytes)
    this.c.metrics.chunks.set(u.chunkCount)
    this.c.metrics.capacityBytes.set(u.capacityBytes)
  }
}

function announcedCapacity (u: StoreUsage): number {
  return Number.isFinite(u.capacityBytes) ? Math.max(0, Math.floor(u.capacityBytes)) : Number.MAX_SAFE_INTEGER
}
