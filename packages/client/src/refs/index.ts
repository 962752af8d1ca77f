/**
 * Refs (the mutable names `bucket/key -> manifest`) with majority reads and
 * writes, hand-off, read repair, and listings merged across nodes.
 *
 * @example
 * ```ts
 * const refs = createRefClient(mesh)
 * await refs.putRef({ bucket: 'photos', key: 'cat.jpg', manifest, size, etag, deleted: false }, policy)
 * const ref = await refs.getRef('photos', 'cat.jpg', policy)   // ref.deleted: treat as not found
 * for await (const r of refs.listRefs('photos', policy, { prefix: '2024/' })) console.log(r.key)
 * await refs.close()
 * ```
 */
export { createRefClient, RefClient } from './ref-client.js'
export type { ListPage, ListRefsOptions, PutRecordResult, RefClientInit, RefMeshView, RefWrite } from './ref-client.js'
export { ListIncompleteError, QuorumError } from './errors.js'
export type { ReplicaFailure } from './errors.js'
export { majority } from './quorum.js'
export { mergeListing } from './list.js'
export type { ListSource, MergeOptions } from './list.js'
export * from './constants.js'
