import fs from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { STATFS_MAX_AGE_MS } from './constants.js'

const log = logger('weft:store:capacity')

/** What a node reports about its storage (it feeds the node record). */
export interface StoreUsage {
  /** sum of the sizes of the stored chunks */
  usedBytes: number
  chunkCount: number
  /**
   * what this node can hold: the configured limit, or less when the disk is
   * smaller (used + free disk space above the reserve)
   */
  capacityBytes: number
  /** bytes the store can still accept (writes in flight not subtracted, so it does not flicker) */
  freeBytes: number
  /** fewer than `fullBelowBytes` can be accepted: placement should skip the node */
  full: boolean
}

export interface CapacityInit {
  dir: string
  capacityBytes: number
  reserveBytes: number
  fullBelowBytes: number
}

/**
 * Byte accounting that keeps puts from overshooting either the configured
 * limit or the real disk. Bytes are reserved before they are written, so
 * concurrent puts cannot together claim more than is free. The disk side
 * comes from `statfs`, sampled at most every STATFS_MAX_AGE_MS; bytes
 * committed since the sample are subtracted so a burst between samples
 * cannot overshoot either.
 */
export class Capacity {
  usedBytes = 0
  chunkCount = 0
  private readonly dir: string
  private readonly limit: number
  private readonly reserveBytes: number
  private readonly fullBelowBytes: number
  /** bytes claimed by puts in flight */
  private inFlight = 0
  private diskAvailable = 0
  private sampledAt = -Infinity
  /** bytes committed since the statfs sample (not yet visible in it) */
  private committedSinceSample = 0
  private refreshing?: Promise<void>

  constructor (init: CapacityInit) {
    this.dir = init.dir
    this.limit = init.capacityBytes
    this.reserveBytes = init.reserveBytes
    this.fullBelowBytes = init.fullBelowBytes
  }

  /** re-sample the disk if the sample is older than STATFS_MAX_AGE_MS */
  async refresh (force = false): Promise<void> {
    if (!force && performance.now() - this.sampledAt < STATFS_MAX_AGE_MS) {
      return
    }
    this.refreshing ??= this.sample().finally(() => { this.refreshing = undefined })
    await this.refreshing
  }

  private async sample (): Promise<void> {
    const st = await fs.statfs(this.dir)
    this.diskAvailable = st.bavail * st.bsize
    this.committedSinceSample = 0
    this.sampledAt = performance.now()
    log.trace('statfs: %d bytes available', this.diskAvailable)
  }

  /** bytes the disk can still take, above the reserve, ignoring in-flight puts */
  private diskFree (): number {
    return Math.max(0, this.diskAvailable - this.committedSinceSample - this.reserveBytes)
  }

  /** bytes the store can still accept, ignoring puts in flight */
  private available (): number {
    return Math.max(0, Math.min(this.limit - this.usedBytes, this.diskFree()))
  }

  /** bytes a new put may claim now */
  free (): number {
    return Math.max(0, this.available() - this.inFlight)
  }

  /** claim `n` bytes for a put in flight; false if they do not fit */
  tryReserve (n: number): boolean {
    if (n > this.free()) {
      return false
    }
    this.inFlight += n
    return true
  }

  release (n: number): void {
    this.inFlight -= n
  }

  /** a chunk of `n` bytes was stored (its reservation is released separately) */
  added (n: number): void {
    this.usedBytes += n
    this.committedSinceSample += n
    this.chunkCount++
  }

  /** a chunk of `n` bytes left the store (disk space shows up at the next sample) */
  removed (n: number): void {
    this.usedBytes -= n
    this.chunkCount--
  }

  /** the figures now; `refresh` re-samples the disk in the background when the sample is stale */
  usage (refresh = true): StoreUsage {
    if (refresh && performance.now() - this.sampledAt >= STATFS_MAX_AGE_MS) {
      // usage() is synchronous; the next call sees the fresh sample
      this.refresh().catch(err => { log.error('statfs failed - %e', err) })
    }
    const freeBytes = this.available()
    return {
      usedBytes: this.usedBytes,
      chunkCount: this.chunkCount,
      capacityBytes: Math.min(this.limit, this.usedBytes + this.diskFree()),
      freeBytes,
      full: freeBytes < this.fullBelowBytes
    }
  }
}
