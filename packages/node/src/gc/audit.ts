/**
 * The lost-chunk audit: during this node's own scan, the data chunks its
 * live refs list are checked in batches (this node's store, then HAS to
 * every live member, stopping once all are found). A chunk no member holds,
 * with every member having answered, makes the objects listing it lost. A
 * member that fails to answer leaves the batch undecided (nothing reported).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import { cidFromDigest } from '@weft/protocol'
import { DIGEST_BYTES, digestKey } from './digests.js'
import type { LostObject } from './types.js'
import type { ChunkStore } from '../store/index.js'
import type { AbortOptions } from '@libp2p/interface'
import type { ChunkClient, RefRecord } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

const log = logger('weft:node:gc:audit')

export interface ChunkAuditComponents {
  store: Pick<ChunkStore, 'has'>
  chunkClient: Pick<ChunkClient, 'has'>
  /** the members to ask (every member but this node, all reachable) */
  peers: readonly string[]
}

interface Pending {
  readonly cid: CID
  /** `bucket/key` of the refs listing it, with their manifest */
  readonly refs: Map<string, RefRecord>
}

export class ChunkAudit {
  private readonly c: ChunkAuditComponents
  private readonly batch: number
  private pending = new Map<string, Pending>()
  private chain: Promise<void> = Promise.resolve()
  private readonly found: LostObject[] = []
  private readonly reported = new Set<string>()

  constructor (components: ChunkAuditComponents, batch: number) {
    this.c = components
    this.batch = batch
  }

  /** Objects found lost so far. */
  get lost (): LostObject[] {
    return this.found
  }

  /** Queues the data chunks of one leaf of `ref`; checks a batch once enough are queued. */
  async add (ref: RefRecord, digests: Uint8Array, options: AbortOptions = {}): Promise<void> {
    await this.serial(async () => {
      for (let at = 0; at < digests.byteLength; at += DIGEST_BYTES) {
        const key = digestKey(digests, at)
        let p = this.pending.get(key)
        if (p === undefined) {
          p = { cid: cidFromDigest(digests.slice(at, at + DIGEST_BYTES)), refs: new Map() }
          this.pending.set(key, p)
        }
        p.refs.set(`${ref.bucket}/${ref.key}`, ref)
        if (this.pending.size >= this.batch) await this.check(options)
      }
    })
  }

  /** Checks what is still queued. */
  async flush (options: AbortOptions = {}): Promise<void> {
    await this.serial(async () => { await this.check(options) })
  }

  private async serial (fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn)
    this.chain = run.catch(() => {})
    await run
  }

  private async check (options: AbortOptions): Promise<void> {
    const batch = [...this.pending.values()]
    this.pending = new Map()
    if (batch.length === 0) return
    const held = await this.c.store.has(batch.map(p => p.cid))
    let missing = batch.filter((_, i) => held[i] !== true)
    for (const peer of this.c.peers) {
      if (missing.length === 0) return
      options.signal?.throwIfAborted()
      try {
        const there = await this.c.chunkClient.has(peerIdFromString(peer), missing.map(p => p.cid), options)
        missing = missing.filter((_, i) => there[i] !== true)
      } catch (err) {
        options.signal?.throwIfAborted()
        log('HAS to %s failed; %d chunks stay undecided - %e', peer, missing.length, err)
        return
      }
    }
    for (const p of missing) {
      for (const [name, ref] of p.refs) {
        if (this.reported.has(name)) continue
        this.reported.add(name)
        this.found.push({ bucket: ref.bucket, key: ref.key, manifest: ref.manifest ?? '', reason: 'chunk-missing', detail: `no member holds chunk ${p.cid.toString()}` })
      }
    }
  }
}
