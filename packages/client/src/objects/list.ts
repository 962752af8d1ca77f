/**
 * list: every live object of a bucket in key order (UTF-8 byte order), as
 * an async iterator over the ref listing merged across the nodes that hold
 * refs; pages are fetched as the iteration goes, so a bucket of any size
 * lists in bounded memory, and leaving the loop stops the fetching.
 */
import { MAX_LIST_LIMIT, validateBucketName } from '@weft/protocol'
import { DEFAULT_LIST_PAGE_SIZE } from './constants.js'
import type { ListOptions, ObjectComponents, ObjectHead } from './types.js'

export async function * listObjects (c: Pick<ObjectComponents, 'refs' | 'policyOf'>, bucket: string, options: ListOptions = {}): AsyncGenerator<ObjectHead, void, undefined> {
  validateBucketName(bucket)
  const pageSize = options.pageSize ?? DEFAULT_LIST_PAGE_SIZE
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_LIST_LIMIT) throw new RangeError(`pageSize must be an integer from 1 to ${MAX_LIST_LIMIT}`)
  if (options.limit !== undefined && !(options.limit >= 0)) throw new RangeError('limit must be >= 0')
  if (options.limit === 0) return
  const policy = await c.policyOf(bucket, options)
  const refs = c.refs.listRefs(bucket, policy, {
    prefix: options.prefix,
    startAfter: options.startAfter,
    limit: options.limit,
    pageSize,
    signal: options.signal
  })
  for await (const ref of refs) {
    if (ref.deleted) continue
    yield {
      bucket,
      key: ref.key,
      size: ref.size,
      etag: ref.etag,
      ...(ref.contentType !== undefined ? { contentType: ref.contentType } : {}),
      version: ref.version,
      manifest: ref.manifest ?? ''
    }
  }
}
