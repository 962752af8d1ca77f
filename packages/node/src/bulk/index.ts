/**
 * The node's side of the bulk channel: chunk frames over TLS 1.3 on their own
 * TCP port, served to peers that proved their libp2p peer id and that the
 * node serves (mesh members, peers connected over the mesh). The client side
 * (bulkTransport, fallbackTransport) lives in @weft/protocol.
 *
 * @example
 * ```ts
 * const bulk = createBulkServer({ privateKey, handler, isAllowed: peer => map.has(peer) || libp2p.getConnections(peer).length > 0 })
 * await bulk.start()
 * node.updateRecord({ bulkAddr: bulk.bulkAddr })
 * ```
 */
export { createBulkServer, BulkServer } from './server.js'
export type { BulkServerInit, BulkServerLimits, BulkServerStats } from './types.js'
export { bulkHosts } from './hosts.js'
export * from './constants.js'
