/**
 * The mark half of garbage collection: walks every live object ref this
 * node holds, resolves its manifest tree (cached by node id, fetched when
 * not held here) and reports every chunk id the tree reaches: its manifest
 * nodes and its data chunks. Refs whose manifest nobody live holds, or is
 * not a manifest, are reported as lost. A manifest node that could not be
 * fetched, because no live member holds it or one failed to answer, makes
 * the scan incomplete: the chunks it lists are unknown, so a sweep deletes
 * nothing until the object is deleted or its manifest is back.
 */
import { logger } from '@libp2p/logger'
import { asChunkCid, cidFromDigest, isBucketRecord } from '@weft/protocol'
import { GC_SCAN_CONCURRENCY, GC_YIELD_EVERY, MAX_GC_MISSING_ENTRIES } from './constants.js'
import { DIGEST_BYTES, digestKey } from './digests.js'
import { ManifestCache, parseManifestRefs } from './manifest-cache.js'
import type { ManifestFetcher } from './fetch.js'
import type { ManifestRefs } from './manifest-cache.js'
import type { LostObject } from './types.js'
import type { RefStore } from '../refs/store.js'
import type { AbortOptions } from '@libp2p/interface'
import type { RefRecord } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

const log = logger('weft:node:gc:scan')

export interface ScanVisitor {
  /**
   * Digests (32 bytes each, packed) that a live ref reaches. Returning true
   * ends the scan early: the caller has learnt all it wanted.
   */
  reached(digests: Uint8Array): boolean
  /** The data chunks of one leaf of `ref`'s tree (for the lost-chunk audit). */
  dataChunks?(ref: RefRecord, digests: Uint8Array, options: AbortOptions): Promise<void>
}

export interface ScanResult {
  /** false when some manifest node could not be fetched: unreported ids may still be referenced */
  readonly complete: boolean
  /** the visitor ended the scan early */
  readonly stopped: boolean
  /** live object refs walked */
  readonly refs: number
  /** refs whose manifest tree no live member holds (in part), or is malformed */
  readonly lost: LostObject[]
  /** why the scan is incomplete (the first failure) */
  readonly failure?: string
}

export interface ReferenceScannerComponents {
  /** the ref store (open while the ref service runs) */
  refs(): RefStore
  fetcher: Pick<ManifestFetcher, 'fetch'>
}

export interface ReferenceScannerInit {
  manifestCacheBytes: number
  missingRetryMs: number
}

type NodeOutcome = ManifestRefs | { readonly missing: true } | { readonly failed: string } | { readonly invalid: string }

interface ScanState {
  complete: boolean
  stopped: boolean
  refs: number
  lost: LostObject[]
  failure?: string
}

export class ReferenceScanner {
  private readonly c: ReferenceScannerComponents
  private readonly cache: ManifestCache
  private readonly missingRetryMs: number
  /** node id -> until when it is taken as missing without asking again */
  private readonly missing = new Map<string, number>()

  constructor (components: ReferenceScannerComponents, init: ReferenceScannerInit) {
    this.c = components
    this.cache = new ManifestCache(init.manifestCacheBytes)
    this.missingRetryMs = init.missingRetryMs
  }

  /** Manifest nodes held in the cache. */
  get cachedNodes (): number {
    return this.cache.size
  }

  async scan (visitor: ScanVisitor, options: AbortOptions = {}): Promise<ScanResult> {
    const state: ScanState = { complete: true, stopped: false, refs: 0, lost: [] }
    const it = this.c.refs().records(options)[Symbol.asyncIterator]()
    let ended = false
    const worker = async (): Promise<void> => {
      while (!ended && !state.stopped) {
        const next = await it.next()
        if (next.done === true) {
          ended = true
          return
        }
        const record = next.value
        if (isBucketRecord(record) || record.deleted) continue
        if (++state.refs % GC_YIELD_EVERY === 0) await new Promise(resolve => setImmediate(resolve))
        await this.walkRef(record, visitor, state, options)
      }
    }
    const settled = await Promise.allSettled(Array.from({ length: GC_SCAN_CONCURRENCY }, worker))
    await it.return?.(undefined)
    const failed = settled.find(s => s.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    return state
  }

  private async walkRef (ref: RefRecord, visitor: ScanVisitor, state: ScanState, options: AbortOptions): Promise<void> {
    const root = asChunkCid(ref.manifest)
    // a decoded live ref always has one; nothing to reach otherwise
    if (root === undefined) return
    if (visitor.reached(root.multihash.digest)) {
      state.stopped = true
      return
    }
    const verdict = await this.walk(ref, root, { root: true }, visitor, state, options)
    if (verdict !== undefined) {
      state.lost.push({ bucket: ref.bucket, key: ref.key, manifest: root.toString(), reason: verdict.reason, detail: verdict.detail })
    }
  }

  /** Walks one node and its subtree; resolves a reason the object is lost, if it is. */
  private async walk (ref: RefRecord, cid: CID, expect: { root: true } | { root: false, height: number }, visitor: ScanVisitor, state: ScanState, options: AbortOptions): Promise<{ reason: LostObject['reason'], detail: string } | undefined> {
    options.signal?.throwIfAborted()
    const node = await this.node(cid, options)
    if ('missing' in node) {
      // the chunks it lists are unknown: keep them all (the node may come back), and say so
      state.complete = false
      state.failure ??= `no live member holds manifest node ${cid.toString()} of ${ref.bucket}/${ref.key}`
      return { reason: 'manifest-missing', detail: `no live member holds manifest node ${cid.toString()}` }
    }
    if ('invalid' in node) return { reason: 'manifest-invalid', detail: node.invalid }
    if ('failed' in node) {
      state.complete = false
      state.failure ??= `manifest node ${cid.toString()} of ${ref.bucket}/${ref.key}: ${node.failed}`
      return undefined
    }
    if (node.root !== expect.root || (!expect.root && node.height !== expect.height)) {
      return { reason: 'manifest-invalid', detail: `manifest node ${cid.toString()} is not where its parent puts it` }
    }
    if (visitor.reached(node.digests)) {
      state.stopped = true
      return undefined
    }
    if (node.height === 0) {
      if (visitor.dataChunks !== undefined) await visitor.dataChunks(ref, node.digests, options)
      return undefined
    }
    let lost: { reason: LostObject['reason'], detail: string } | undefined
    for (let at = 0; at < node.digests.byteLength && !state.stopped; at += DIGEST_BYTES) {
      const child = cidFromDigest(node.digests.slice(at, at + DIGEST_BYTES))
      // the siblings of a lost subtree are walked too: their chunks are still referenced
      const verdict = await this.walk(ref, child, { root: false, height: node.height - 1 }, visitor, state, options)
      lost ??= verdict
    }
    return lost
  }

  private async node (cid: CID, options: AbortOptions): Promise<NodeOutcome> {
    const key = digestKey(cid.multihash.digest)
    const cached = this.cache.get(key)
    if (cached !== undefined) return cached
    const until = this.missing.get(key)
    if (until !== undefined && until > Date.now()) return { missing: true }
    const got = await this.c.fetcher.fetch(cid, options)
    if (got.status === 'missing') {
      this.rememberMissing(key)
      return { missing: true }
    }
    this.missing.delete(key)
    if (got.status === 'failed') return { failed: got.error }
    try {
      const refs = parseManifestRefs(got.bytes)
      this.cache.set(key, refs)
      return refs
    } catch (err) {
      log('manifest node %c does not decode - %e', cid, err)
      return { invalid: `manifest node ${cid.toString()} does not decode: ${(err as Error).message}` }
    }
  }

  private rememberMissing (key: string): void {
    this.missing.delete(key)
    this.missing.set(key, Date.now() + this.missingRetryMs)
    // oldest first: drop the entries that would expire soonest
    for (const k of this.missing.keys()) {
      if (this.missing.size <= MAX_GC_MISSING_ENTRIES) break
      this.missing.delete(k)
    }
  }
}
