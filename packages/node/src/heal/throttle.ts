/**
 * Limits on background work: a token bucket over bytes sent, and a polite
 * pause while the node is busy serving clients (client reads first).
 */
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * how long one task waits for clients to quieten before it goes anyway (ms):
 * background work must still progress under constant load (a repair that
 * never runs is worse for readers than a slower read)
 */
const MAX_YIELD_MS = 200
const YIELD_POLL_MS = 25

export interface ThrottleInit {
  /** 0 = unlimited */
  bytesPerSecond: number
  /** true while clients should go first */
  busy(): boolean
}

export class Throttle {
  private readonly rate: number
  private readonly busy: () => boolean
  private tokens: number
  private last = performance.now()

  constructor (init: ThrottleInit) {
    if (!(init.bytesPerSecond >= 0)) throw new TypeError('bytesPerSecond must be >= 0')
    this.rate = init.bytesPerSecond
    this.busy = () => init.busy()
    this.tokens = this.rate
  }

  /** Waits until `bytes` may be sent (a task larger than a second's worth goes when the bucket is full). */
  async take (bytes: number, signal?: AbortSignal): Promise<void> {
    await this.yieldToClients(signal)
    if (this.rate === 0) return
    for (;;) {
      const now = performance.now()
      this.tokens = Math.min(this.rate, this.tokens + (now - this.last) / 1000 * this.rate)
      this.last = now
      const need = Math.min(bytes, this.rate)
      if (this.tokens >= need) {
        this.tokens -= bytes
        return
      }
      await sleep(Math.ceil((need - this.tokens) / this.rate * 1000), undefined, { signal })
    }
  }

  private async yieldToClients (signal?: AbortSignal): Promise<void> {
    const until = performance.now() + MAX_YIELD_MS
    while (this.busy() && performance.now() < until) {
      await sleep(YIELD_POLL_MS, undefined, { signal })
    }
  }
}
