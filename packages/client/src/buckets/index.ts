/**
 * Buckets: create (name and policy validated, and checked against the mesh),
 * delete (only when empty), get (cached policies) and list, stored as
 * records in the reserved bucket namespace with majority reads and writes.
 *
 * @example
 * ```ts
 * const buckets = createBuckets({ refs, mesh })
 * await buckets.createBucket('photos', { replicas: 3, allowedZones: ['eu'] })
 * const { policy } = await buckets.getBucket('photos')
 * await refs.putRef({ bucket: 'photos', key: 'cat.jpg', ... }, policy)
 * ```
 */
export { Buckets, bucketsNamespacePolicy, createBuckets } from './buckets.js'
export type { BucketsComponents, BucketsInit, GetBucketOptions } from './buckets.js'
export { BucketError, BucketExistsError, BucketNotEmptyError, NoSuchBucketError } from './errors.js'
export * from './constants.js'
