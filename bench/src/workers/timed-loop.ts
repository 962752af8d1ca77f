import { nowNs } from '../harness/stats.js'

/**
 * Runs `op` over `order` with `concurrency` operations in flight (each
 * worker takes the next index when its previous operation ends, no
 * pipelining), timing each operation. Stops taking new work after
 * `maxSeconds` (0: no limit), so a busy box cannot stretch a phase.
 */
export interface TimedLoopResult {
  /** operations completed */
  count: number
  seconds: number
  /** each operation's duration in µs, in completion order */
  samplesUs: number[]
  /** what the operations returned, summed (bytes moved) */
  bytes: number
  /** true when the deadline ended the phase before `order` was done */
  cut: boolean
}

export async function timedLoop (order: readonly number[], concurrency: number, maxSeconds: number, op: (index: number) => Promise<number>): Promise<TimedLoopResult> {
  const deadline = maxSeconds > 0 ? nowNs() + maxSeconds * 1e9 : Infinity
  const samplesUs: number[] = []
  let next = 0
  let bytes = 0
  let cut = false
  const t0 = nowNs()
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, async () => {
    while (next < order.length) {
      if (nowNs() > deadline) {
        cut = true
        return
      }
      const index = order[next++] as number
      const s = nowNs()
      // read `bytes` only after the await: `bytes += await op()` would add to a stale total
      const moved = await op(index)
      samplesUs.push((nowNs() - s) / 1e3)
      bytes += moved
    }
  }))
  return { count: samplesUs.length, seconds: (nowNs() - t0) / 1e9, samplesUs, bytes, cut }
}
