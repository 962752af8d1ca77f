/**
 * Samples the node's background-work metrics (pending work by kind, bytes
 * moved) for `/status`. The admin server's status callback is synchronous,
 * prom-client's reads are not, so a timer keeps a fresh copy. Self-healing
 * (issue 6) sets these metrics; until it does they stay empty and the report
 * says `active: false`.
 */
import { NO_BACKGROUND } from './status-report.js'
import type { BackgroundReport } from './status-report.js'
import type { NodeMetrics } from '@weft/node'

export const BACKGROUND_SAMPLE_MS = 1000

export class BackgroundSampler {
  private latest: BackgroundReport = NO_BACKGROUND
  private lastBytes?: { total: number, at: number }
  private timer?: NodeJS.Timeout
  private sampling = false

  constructor (private readonly metrics: Pick<NodeMetrics, 'backgroundPending' | 'backgroundBytes'>) {}

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
      const pending = await this.metrics.backgroundPending.get()
      const bytes = await this.metrics.backgroundBytes.get()
      const byKind = new Map(pending.values.map(v => [String(v.labels.kind), v.value]))
      const total = bytes.values.reduce((sum, v) => sum + v.value, 0)
      const now = performance.now()
      const rate = this.lastBytes == null ? 0 : Math.max(0, (total - this.lastBytes.total) / Math.max(0.001, (now - this.lastBytes.at) / 1000))
      this.lastBytes = { total, at: now }
      this.latest = {
        active: pending.values.length > 0 || bytes.values.length > 0,
        repairPending: byKind.get('repair') ?? 0,
        rebalancePending: byKind.get('rebalance') ?? 0,
        bytesPerSecond: Math.round(rate)
      }
    } catch {
      // a metrics read cannot fail in practice; keep the last sample if it does
    } finally {
      this.sampling = false
    }
  }
}
