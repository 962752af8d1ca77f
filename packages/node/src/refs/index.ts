/**
 * The node's side of the ref protocol (`/weft/refs/1`): the ref store
 * (level, newest version wins, fsync'd, indexed by partition) and the
 * service serving it. The codec, sessions and client live in @weft/protocol.
 *
 * @example
 * ```ts
 * const refs = createRefService({ libp2p: node.libp2p, dir: node.dataDir, isMember: peer => map.has(peer) })
 * await refs.start()
 * const held = await refs.store.get({ bucket: 'photos', key: 'cat.jpg' })
 * await refs.stop()
 * ```
 */
export { createRefService } from './service.js'
export type { RefLibp2p, RefService, RefServiceComponents, RefServiceInit, RefServiceStats } from './service.js'
export { RefStore, refKey } from './store.js'
export type { RefStoreInit } from './store.js'
export * from './constants.js'
