/**
 * Samples the node's background work (the reconciler's status: pending
 * copies by kind, settled, drained; bytes moved from the metrics) for
 * `/status`. The admin server's status callback is synchronous, the reads
 * are not, so a timer keeps a fresh copy.
 */
import { NO_BACKGROUND } from './status-report.js'
import type { BackgroundReport } from './status-report.js'
import type { HealStatus, NodeMetrics } from '@weft/node'

export const BACKGROUND_SAMPLE_MS = 1000

export class BackgroundSampler {
  private latest: BackgroundReport = NO_BACKGROUND
  private lastBytes?: { total: number, at: number }
  private timer?: NodeJS.Timeout
  private sampling = false

  constructor (
    private readonly metrics: Pick<NodeMetrics, 'backgroundBytes'>,
    private readonly heal: () => Promise<HealStatus>
  ) {}

  get current (): BackgroundReport {
    return this.latest
  }

  start (): void {
    this.timer ??= setInterval(() => { void this.sample() }, BACKGROUND_SAMPLE_MS)
    this.timer.unref()
    void this.sample()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  async sample (): Promise<void> {
    if (this.sampling) return
    this.sampling = true
    try {
      const status = await this.heal()
      const bytes = await this.metrics.backgroundBytes.get()
      const total = bytes.values.reduce((sum, v) => sum + v.value, 0)
      const now = performance.now()
      const rate = this.lastBytes == null ? 0 : Math.max(0, (total - this.lastBytes.total) / Math.max(0.001, (now - this.lastBytes.at) / 1000))
      this.lastBytes = { total, at: now }
      this.latest = {
        active: status.state !== 'stopped',
        repairPending: status.pending.repair.chunks,
        rebalancePending: status.pending.rebalance.chunks,
        pendingBytes: status.pending.repair.bytes + status.pending.rebalance.bytes,
        bytesPerSecond: Math.round(rate),
        settled: status.settled,
        draining: status.draining,
        drained: status.drained
      }
    } catch {
      // keep the last sample when a read fails (the node is stopping)
    } finally {
      this.sampling = false
    }
  }
}
