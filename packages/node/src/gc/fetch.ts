/**
 * Fetches one manifest node for garbage collection: from this node's store
 * when it holds it, else from live members in placement's ranking order for
 * the node's partition (the replica set first, then hand-off places), each
 * copy verified against its id. Tells "nobody live holds it" (every member
 * asked said so) apart from "could not find out" (some failed to answer).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import { createPlacement, partitionOfDigest } from '@weft/placement'
import { MAX_MANIFEST_NODE_SIZE, verifyChunk, wireCodeOf } from '@weft/protocol'
import type { ChunkStore } from '../store/index.js'
import type { Liveness } from '../membership/types.js'
import type { AbortOptions } from '@libp2p/interface'
import type { ClusterMap, Placement } from '@weft/placement'
import type { ChunkClient } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

const log = logger('weft:node:gc:fetch')

const NOT_FOUND = 'ERR_CHUNK_NOT_FOUND'

export type FetchOutcome =
  | { readonly status: 'found', readonly bytes: Uint8Array }
  /** every live member asked answered that it does not hold it */
  | { readonly status: 'missing' }
  /** nobody gave it and some member could not be asked (or sent bad bytes) */
  | { readonly status: 'failed', readonly error: string }

export interface ManifestFetcherComponents {
  /** this node's peer id */
  self: string
  store: Pick<ChunkStore, 'stat' | 'get'>
  chunkClient: Pick<ChunkClient, 'get'>
  map(): ClusterMap
  liveness(peerId: string): Liveness | undefined
}

export interface ManifestFetcherInit {
  fetchTimeoutMs: number
  maxFetchPeers: number
}

export class ManifestFetcher {
  private readonly c: ManifestFetcherComponents
  private readonly init: ManifestFetcherInit
  private placement?: Placement

  constructor (components: ManifestFetcherComponents, init: ManifestFetcherInit) {
    this.c = components
    this.init = init
  }

  async fetch (cid: CID, options: AbortOptions = {}): Promise<FetchOutcome> {
    const local = await this.local(cid, options)
    if (local !== undefined) return { status: 'found', bytes: local }
    let error: string | undefined
    for (const peer of this.candidates(cid)) {
      options.signal?.throwIfAborted()
      try {
        const bytes = await this.remote(peer, cid, options)
        return { status: 'found', bytes }
      } catch (err) {
        options.signal?.throwIfAborted()
        const code = wireCodeOf(err)
        if (code === NOT_FOUND) continue
        log('fetching manifest node %c from %s failed - %e', cid, peer, err)
        error ??= `${peer}: ${code}`
      }
    }
    return error === undefined ? { status: 'missing' } : { status: 'failed', error }
  }

  /** Live members other than this node, best-ranked for the chunk's partition first. */
  private candidates (cid: CID): string[] {
    const map = this.c.map()
    if (this.placement?.map.version !== map.version) this.placement = createPlacement(map)
    const out: string[] = []
    for (const node of this.placement.ranking(partitionOfDigest(cid.multihash.digest))) {
      if (out.length >= this.init.maxFetchPeers) break
      if (node.peerId === this.c.self) continue
      const liveness = this.c.liveness(node.peerId)
      if (liveness === 'up' || liveness === 'suspect') out.push(node.peerId)
    }
    return out
  }

  private async local (cid: CID, options: AbortOptions): Promise<Uint8Array | undefined> {
    const stat = await this.c.store.stat(cid)
    if (stat == null || stat.size > MAX_MANIFEST_NODE_SIZE) return undefined
    try {
      // a full read is hashed while streaming: it completes only with the right bytes
      return await collect(this.c.store.get(cid, { signal: options.signal }), stat.size)
    } catch (err) {
      options.signal?.throwIfAborted()
      log('reading manifest node %c here failed - %e', cid, err)
      return undefined
    }
  }

  private async remote (peer: string, cid: CID, options: AbortOptions): Promise<Uint8Array> {
    const timeout = AbortSignal.timeout(this.init.fetchTimeoutMs)
    const signal = options.signal != null ? AbortSignal.any([options.signal, timeout]) : timeout
    const bytes = await collect(this.c.chunkClient.get(peerIdFromString(peer), cid, { signal }), MAX_MANIFEST_NODE_SIZE)
    verifyChunk(cid, bytes)
    return bytes
  }
}

/** Concatenates a stream, failing once it passes `max` bytes. */
async function collect (source: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let total = 0
  for await (const part of source) {
    total += part.byteLength
    if (total > max) throw new RangeError(`manifest node is over ${max} bytes`)
    parts.push(part)
  }
  return parts.length === 1 ? parts[0] as Uint8Array : Buffer.concat(parts)
}
