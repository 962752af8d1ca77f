/**
 * The node's side of the chunk protocol (`/weft/chunk/1`): serves put (with
 * chain forwarding), get, has, stat and delete from the chunk store. The
 * codec, sessions and the client live in @weft/protocol.
 *
 * @example
 * ```ts
 * const chunks = createChunkService({ libp2p, store, isMember: peer => map.has(peer) })
 * await chunks.start()
 * const result = await chunks.client.put(first, cid, bytes, { forward: [second, third] })
 * ```
 */
export { createChunkService } from './service.js'
export type { ChunkService, ChunkServiceComponents, ChunkServiceInit, ChunkServiceStats, ChunkLibp2p } from './service.js'
export { createStoreHandler } from './handler.js'
export type { ChunkStoreView, StoreHandlerComponents } from './handler.js'
export { observeHandler } from './observe.js'
export type { ChunkOp, ChunkRequestObserver, ChunkRequestOutcome } from './observe.js'
export { chainPut } from './put.js'
export type { ChainPutComponents } from './put.js'
export * from './constants.js'
