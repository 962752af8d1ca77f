/**
 * A token bucket per gossip signer: a member may publish a few messages per
 * heartbeat and a short burst; past that its messages are ignored (not
 * forwarded, not merged), so one peer cannot make every member re-verify and
 * re-merge a flood. At most `maxSigners` buckets exist: when full, idle
 * (refilled) buckets are dropped, and a new signer is refused while none is.
 */
export class SignerBudget {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (private readonly burst: number, private readonly refillPerMs: number, private readonly maxSigners: number) {}

  /** Takes one token; false when the signer is over budget. */
  take (signer: string, now: number): boolean {
    let bucket = this.buckets.get(signer)
    if (bucket == null) {
      if (this.buckets.size >= this.maxSigners && !this.prune(now)) return false
      bucket = { tokens: this.burst, at: now }
      this.buckets.set(signer, bucket)
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.refillPerMs)
    bucket.at = now
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /** Drops buckets that have refilled (their signer has been quiet); true when room was made. */
  private prune (now: number): boolean {
    for (const [signer, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.refillPerMs >= this.burst) this.buckets.delete(signer)
    }
    return this.buckets.size < this.maxSigners
  }

  forget (signer: string): void {
    this.buckets.delete(signer)
  }

  get size (): number {
    return this.buckets.size
  }
}
