/**
 * Scrub: re-hash every stored chunk, slowly (a byte rate limit), to find bit
 * rot before a reader does. A corrupt copy (found here or by any full read)
 * is quarantined by the store; the scrubber then fetches a verified copy
 * from another holder and stores it back, so the chunk is whole here again
 * without waiting for a reconciler pass elsewhere.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { Throttle } from './throttle.js'
import type { NodeComponent } from '../component.js'
import type { ChunkStore } from '../store/index.js'
import type { ChunkClient, ChunkPolicy } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

const log = logger('weft:node:heal:scrub')

export interface ScrubInit {
  /**
   * bytes re-hashed per second
   *
   * @default DEFAULT_SCRUB_BYTES_PER_SECOND
   */
  bytesPerSecond?: number
  /**
   * pause between two full cycles over the store (ms)
   *
   * @default DEFAULT_SCRUB_INTERVAL_MS
   */
  intervalMs?: number
  /**
   * wait this long after start before the first cycle (ms)
   *
   * @default DEFAULT_SCRUB_START_DELAY_MS
   */
  startDelayMs?: number
}

/** 20 MB/s: a 4 TB disk is re-read in ~2.3 days while costing little of its bandwidth */
export const DEFAULT_SCRUB_BYTES_PER_SECOND = 20 * 1000 * 1000
export const DEFAULT_SCRUB_INTERVAL_MS = 24 * 3600_000
export const DEFAULT_SCRUB_START_DELAY_MS = 10 * 60_000
/** how long fetching a replacement copy from one peer may take (ms) */
const FETCH_TIMEOUT_MS = 30_000

export interface ScrubComponents {
  store: Pick<ChunkStore, 'list' | 'verify' | 'put' | 'addEventListener' | 'removeEventListener'>
  client: Pick<ChunkClient, 'get'>
  /** peers to fetch a good copy from, best first (its owners, then anyone) */
  sources(cid: CID, policies: readonly ChunkPolicy[]): string[]
  /** background work yields to clients */
  busy(): boolean
}

export interface ScrubStats {
  /** full cycles completed */
  cycles: number
  chunksVerified: number
  bytesVerified: number
  /** corrupt or missing copies found (by scrub or by reads) */
  corruptFound: number
  /** of those, put back from a good replica */
  repaired: number
  /** corrupt copies no peer could replace (yet): the reconciler elsewhere restores them later */
  unrepaired: number
}

export class Scrubber implements NodeComponent {
  readonly name = 'scrub'
  private readonly c: ScrubComponents
  private readonly throttle: Throttle
  private readonly intervalMs: number
  private readonly startDelayMs: number
  private readonly stats: ScrubStats = { cycles: 0, chunksVerified: 0, bytesVerified: 0, corruptFound: 0, repaired: 0, unrepaired: 0 }
  private controller = new AbortController()
  private loop?: Promise<void>
  private cycle?: Promise<void>
  private readonly repairing = new Set<Promise<void>>()
  private readonly onCorrupt = (evt: CustomEvent<{ cid: CID, policies: readonly ChunkPolicy[] }>): void => {
    this.stats.corruptFound++
    this.track(this.replace(evt.detail.cid, evt.detail.policies))
  }

  constructor (components: ScrubComponents, init: ScrubInit = {}) {
    this.c = components
    this.throttle = new Throttle({ bytesPerSecond: init.bytesPerSecond ?? DEFAULT_SCRUB_BYTES_PER_SECOND, busy: () => components.busy() })
    this.intervalMs = init.intervalMs ?? DEFAULT_SCRUB_INTERVAL_MS
    this.startDelayMs = init.startDelayMs ?? DEFAULT_SCRUB_START_DELAY_MS
  }

  async start (): Promise<void> {
    this.controller = new AbortController()
    this.c.store.addEventListener('chunk:corrupt', this.onCorrupt)
    const signal = this.controller.signal
    this.loop = (async () => {
      await sleep(this.startDelayMs, undefined, { signal })
      for (;;) {
        await this.runOnce()
        await sleep(this.intervalMs, undefined, { signal })
      }
    })().catch(err => {
      if (!signal.aborted) log.error('scrub loop failed - %e', err)
    })
  }

  async stop (): Promise<void> {
    this.c.store.removeEventListener('chunk:corrupt', this.onCorrupt)
    this.controller.abort(new Error('the node is stopping'))
    await this.loop
    await Promise.allSettled([...this.repairing])
  }

  status (): ScrubStats {
    return { ...this.stats }
  }

  /** One full cycle over the store now (after the one running, if any); resolves once replacements are done too. */
  async runOnce (): Promise<ScrubStats> {
    while (this.cycle != null) await this.cycle
    this.cycle = this.scrubAll()
    try {
      await this.cycle
    } finally {
      this.cycle = undefined
    }
    await Promise.allSettled([...this.repairing])
    return this.status()
  }

  private async scrubAll (): Promise<void> {
    const signal = this.controller.signal
    for await (const chunk of this.c.store.list({ signal })) {
      await this.throttle.take(chunk.size, signal)
      try {
        // false: corrupt or missing, already quarantined; 'chunk:corrupt' starts the replacement
        await this.c.store.verify(chunk.cid, { signal })
        this.stats.chunksVerified++
        this.stats.bytesVerified += chunk.size
      } catch (err) {
        signal.throwIfAborted()
        // deleted meanwhile (moved away, collected): nothing to check
        log('verifying %s failed - %e', chunk.cid, err)
      }
    }
    this.stats.cycles++
  }

  private track (p: Promise<void>): void {
    this.repairing.add(p)
    void p.finally(() => this.repairing.delete(p))
  }

  /** Fetches a verified copy from the first source that has one and stores it back with its policies. */
  private async replace (cid: CID, policies: readonly ChunkPolicy[]): Promise<void> {
    const signal = this.controller.signal
    for (const peer of this.c.sources(cid, policies)) {
      if (signal.aborted) return
      try {
        const parts: Uint8Array[] = []
        // a whole-chunk get is hashed against the id by the client: a second bad copy is refused
        for await (const part of this.c.client.get(peerIdFromString(peer), cid, { signal: AbortSignal.any([signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]) })) parts.push(part)
        await this.c.store.put(cid, Buffer.concat(parts), { policies, signal })
        this.stats.repaired++
        log('replaced corrupt %s with a copy from %s', cid, peer)
        return
      } catch (err) {
        log('fetching %s from %s failed - %e', cid, peer, err)
      }
    }
    this.stats.unrepaired++
    log.error('no peer could replace corrupt chunk %s', cid)
  }
}
