import { InvalidRangeError, NotMemberError } from '@weft/protocol'
import { ChunkNotFoundError } from '../store/errors.js'
import { chainPut } from './put.js'
import type { ChunkClient, ChunkHandler, ChunkPolicy, ChunkRequestContext, ChunkStat, GetAnswer, GetRequest } from '@weft/protocol'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * What the chunk service needs of the node's chunk store (the real one is
 * `openChunkStore` in ../store). Errors carry the store's stable codes
 * (ERR_CHUNK_NOT_FOUND, ERR_HASH_MISMATCH, ERR_STORE_FULL...), which go to the
 * peer unchanged.
 */
export interface ChunkStoreView {
  put(cid: CID, source: AsyncIterable<Uint8Array> | Uint8Array, options?: { size?: number, policies?: readonly ChunkPolicy[] } & AbortOptions): Promise<{ size: number, existed: boolean }>
  /** merges policies into a held chunk's entry (test doubles may leave it out) */
  addPolicies?(cid: CID, policies: readonly ChunkPolicy[]): Promise<boolean>
  get(cid: CID, options?: { offset?: number, length?: number } & AbortOptions): AsyncIterable<Uint8Array>
  /** with `touch`, held chunks count as just asked for, so GC keeps them a while (test doubles may ignore it) */
  has(cids: CID[], options?: { touch?: boolean }): Promise<boolean[]>
  stat(cid: CID): Promise<ChunkStat | undefined>
  delete(cid: CID): Promise<boolean>
}

export interface StoreHandlerComponents {
  self: PeerId
  store: ChunkStoreView
  /** Forwards chain puts to the next replica */
  client: Pick<ChunkClient, 'put'>
  /** Whether a peer is a mesh member (only members may delete) */
  isMember?(peer: PeerId): boolean
  teeBufferBytes?: number
}

/** Serve chunk requests from the node's store. */
export function createStoreHandler (components: StoreHandlerComponents): ChunkHandler {
  const c = { ...components, store: touching(components.store) }
  return {
    put: async (req, body, ctx) => chainPut(c, req, body, ctx),

    async get (req: GetRequest, ctx: ChunkRequestContext): Promise<GetAnswer> {
      // stat first: a missing chunk or a bad range is answered with an ERROR
      // instead of a head followed by a failing body
      const stat = await c.store.stat(req.cid)
      if (stat == null) {
        throw new ChunkNotFoundError(req.cid.toString())
      }
      const length = req.length ?? stat.size - req.offset
      if (req.offset > stat.size || length < 0 || req.offset + length > stat.size) {
        throw new InvalidRangeError(`range offset=${req.offset} length=${req.length ?? 'rest'} is outside chunk ${req.cid.toString()} of ${stat.size} bytes`)
      }
      return {
        head: { size: stat.size, offset: req.offset, length },
        data: c.store.get(req.cid, { offset: req.offset, length, signal: ctx.signal })
      }
    },

    async has (cids, ctx) {
      // members ask to reconcile or audit: that must not keep garbage alive;
      // a client asks before writing (a dedup probe): that must
      const member = ctx.remotePeer != null && c.isMember?.(ctx.remotePeer) === true
      return member ? components.store.has(cids) : c.store.has(cids)
    },

    async stat (cid) {
      return c.store.stat(cid)
    },

    async delete (cid, ctx) {
      if (ctx.remotePeer == null || c.isMember?.(ctx.remotePeer) !== true) {
        throw new NotMemberError('only mesh members may delete chunks')
      }
      return c.store.delete(cid)
    }
  }
}

/**
 * The store as writers see it: a HAS (a client's dedup probe, or a chain put
 * finding the chunk already held) touches the chunks held, so garbage
 * collection keeps a chunk a new object is about to reference.
 */
function touching (store: ChunkStoreView): ChunkStoreView {
  return {
    put: async (cid, source, options) => store.put(cid, source, options),
    addPolicies: store.addPolicies == null ? undefined : async (cid, policies) => store.addPolicies?.(cid, policies) ?? false,
    get: (cid, options) => store.get(cid, options),
    has: async (cids) => store.has(cids, { touch: true }),
    stat: async (cid) => store.stat(cid),
    delete: async (cid) => store.delete(cid)
  }
}
