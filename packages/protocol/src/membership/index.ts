/**
 * Membership: what a member and a non-member client both need to follow a
 * mesh's cluster map without @weft/node. The signed node record and its
 * validation, the merge (highest seq per peer wins), the gossip topic and its
 * messages, the sync exchange, and the mesh key and mesh id.
 */
export * from './constants.js'
export * from './errors.js'
export * from './record.js'
export * from './envelope.js'
export * from './mesh-key.js'
export * from './merge.js'
export * from './gossip.js'
export * from './sync-codec.js'
export * from './sync.js'

