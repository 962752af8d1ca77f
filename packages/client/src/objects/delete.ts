/**
 * delete: write a tombstone ref (a majority write). It wins over every
 * older put on every replica, so a later get of the key is NotFound; the
 * object's chunks become garbage for collection. Deleting a key that does
 * not exist is not an error (as in S3).
 */
import { tombstone, validateBucketName, validateKey } from '@weft/protocol'
import type { ObjectComponents } from './types.js'
import type { AbortOptions } from '@libp2p/interface'

export async function deleteObject (c: Pick<ObjectComponents, 'refs' | 'clock' | 'policyOf'>, bucket: string, key: string, options: AbortOptions = {}): Promise<void> {
  validateBucketName(bucket)
  validateKey(key)
  options.signal?.throwIfAborted()
  const policy = await c.policyOf(bucket, options)
  await c.refs.putRef(tombstone(bucket, key, c.clock.now()), policy, options)
}
