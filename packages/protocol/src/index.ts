/**
 * @weft/protocol: what node and client share. Wire formats, ids, limits and
 * errors with stable codes.
 */
export * from './errors.js'
export * from './membership/index.js'
export * from './chunk/index.js'
export * from './bulk/index.js'
export * from './model/index.js'
export * from './refs/index.js'
export * from './replication/index.js'
