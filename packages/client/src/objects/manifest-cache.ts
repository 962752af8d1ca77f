/**
 * Manifest nodes by id. They are content-addressed and immutable, so a node
 * fetched (and verified) once can be served from memory until the cache
 * needs room: a bounded LRU by bytes. Concurrent requests for the same node
 * share one fetch.
 */
import { ManifestReader, decodeManifestNode } from '@weft/protocol'
import type { AbortOptions } from '@libp2p/interface'
import type { ManifestNode } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

export interface ManifestCacheInit {
  /**
   * bytes of encoded nodes kept
   *
   * @default DEFAULT_MANIFEST_CACHE_BYTES
   */
  maxBytes?: number
}

/** 16 MiB: the manifests of about 30 TiB of 4 MiB-chunk objects, or many thousand small ones */
export const DEFAULT_MANIFEST_CACHE_BYTES = 16 * 1024 * 1024

/** Fetches one manifest node's verified bytes. */
export type NodeFetcher = (cid: CID, options?: AbortOptions) => Promise<Uint8Array>

interface Inflight {
  promise: Promise<Uint8Array>
  controller: AbortController
  waiters: number
}

interface Entry {
  bytes: Uint8Array
  /** decoded once, on first use as a root */
  root?: ManifestNode
}

export class ManifestCache {
  private readonly maxBytes: number
  private readonly entries = new Map<string, Entry>()
  private readonly inflight = new Map<string, Inflight>()
  private bytes = 0
  hits = 0
  misses = 0

  constructor (init: ManifestCacheInit = {}) {
    this.maxBytes = init.maxBytes ?? DEFAULT_MANIFEST_CACHE_BYTES
  }

  /** The node's bytes, from memory or `fetch`. */
  async node (cid: CID, fetch: NodeFetcher, options: AbortOptions = {}): Promise<Uint8Array> {
    return (await this.entry(cid, fetch, options)).bytes
  }

  /** A reader over the manifest rooted at `cid`; every node it visits goes through the cache. */
  async open (cid: CID, fetch: NodeFetcher, options: AbortOptions = {}): Promise<ManifestReader> {
    const entry = await this.entry(cid, fetch, options)
    entry.root ??= decodeManifestNode(entry.bytes)
    return new ManifestReader(entry.root, { readChunk: async (child, o) => this.node(child, fetch, o) })
  }

  /** Adds a node known to be good (e.g. the root a put just wrote). */
  add (cid: CID, bytes: Uint8Array): void {
    this.insert(cid.toString(), { bytes })
  }

  get size (): number {
    return this.bytes
  }

  clear (): void {
    this.entries.clear()
    this.bytes = 0
  }

  private async entry (cid: CID, fetch: NodeFetcher, options: AbortOptions): Promise<Entry> {
    const key = cid.toString()
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      this.hits++
      // refresh its place in the LRU order
      this.entries.delete(key)
      this.entries.set(key, hit)
      return hit
    }
    this.misses++
    let pending = this.inflight.get(key)
    if (pending === undefined || pending.controller.signal.aborted) {
      // one fetch for every caller; it is cancelled only when all of them gave up
      const controller = new AbortController()
      const p: Inflight = { controller, waiters: 0, promise: fetch(cid, { signal: controller.signal }).finally(() => { if (this.inflight.get(key) === p) this.inflight.delete(key) }) }
      p.promise.catch(() => {})
      this.inflight.set(key, p)
      pending = p
    }
    const bytes = await this.wait(pending, options.signal)
    const entry = this.entries.get(key) ?? { bytes }
    this.insert(key, entry)
    return entry
  }

  /** The shared fetch's result, or this caller's abort reason as soon as its signal fires. */
  private async wait (pending: Inflight, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted()
    pending.waiters++
    let left = false
    const leave = (): void => {
      if (left) return
      left = true
      if (--pending.waiters === 0) pending.controller.abort(signal?.reason)
    }
    try {
      if (signal === undefined) return await pending.promise
      return await new Promise<Uint8Array>((resolve, reject) => {
        const onAbort = (): void => {
          leave()
          reject(signal.reason as Error)
        }
        signal.addEventListener('abort', onAbort, { once: true })
        pending.promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) }).catch(() => {})
      })
    } finally {
      if (!left) {
        left = true
        pending.waiters--
      }
    }
  }

  private insert (key: string, entry: Entry): void {
    if (entry.bytes.byteLength > this.maxBytes) return
    const old = this.entries.get(key)
    if (old !== undefined) {
      this.entries.delete(key)
      this.bytes -= old.bytes.byteLength
    }
    this.entries.set(key, entry)
    this.bytes += entry.bytes.byteLength
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(k)
      this.bytes -= e.bytes.byteLength
    }
  }
}

