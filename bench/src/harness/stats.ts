/**
 * Small statistics and timing helpers shared by every scenario.
 */

/**
 * The p-th percentile (0-100) of an ascending array, by the nearest-rank
 * method: the smallest sample with at least p% of samples at or below it.
 * Nearest rank never invents a value that was not measured, which matters for
 * tail latency on a few thousand samples.
 */
export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples')
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0-100`)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1] as number
}

/** The median of unsorted samples (mean of the middle two for an even count). */
export function median (values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no samples')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function mean (values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of no samples')
  let sum = 0
  for (const v of values) sum += v
  return sum / values.length
}

/** Sorts a copy ascending (numeric, unlike the default `sort()`). */
export function sortedCopy (values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b)
}

export interface LatencySummary {
  count: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** p50/p90/p99/max/mean of unsorted samples, in the samples' unit. */
export function summarize (values: readonly number[]): LatencySummary {
  const sorted = sortedCopy(values)
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
    mean: mean(sorted)
  }
}

/** Monotonic nanoseconds as a number (exact below 2^53 ns, ~104 days of uptime). */
export function nowNs (): number {
  return Number(process.hrtime.bigint())
}

/** Megabytes per second with 1 MB = 1e6 bytes. */
export function mbps (bytes: number, seconds: number): number {
  return bytes / 1e6 / seconds
}

/** A monotonic stopwatch on `process.hrtime`; starts when constructed. */
export class Stopwatch {
  private startNs: bigint

  constructor () {
    this.startNs = process.hrtime.bigint()
  }

  static start (): Stopwatch {
    return new Stopwatch()
  }

  /** Starts over from now. */
  reset (): void {
    this.startNs = process.hrtime.bigint()
  }

  elapsedNs (): number {
    return Number(process.hrtime.bigint() - this.startNs)
  }

  elapsedUs (): number {
    return this.elapsedNs() / 1e3
  }

  elapsedMs (): number {
    return this.elapsedNs() / 1e6
  }

  elapsedSeconds (): number {
    return this.elapsedNs() / 1e9
  }
}
