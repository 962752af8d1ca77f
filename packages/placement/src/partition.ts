/**
 * Which partition a chunk or a ref lives in: the top PARTITION_BITS bits of a
 * sha2-256 digest.
 */
import { createHash } from 'node:crypto'
import { PARTITION_BITS } from './constants.js'
import { InvalidArgumentError } from './errors.js'

const SHA256_LENGTH = 32

/**
 * The partition of a chunk from the sha2-256 digest of its bytes (the digest
 * inside its CID's multihash, `cid.multihash.digest`, not the multihash bytes
 * with their code and length prefix: a 32-byte length check catches that).
 */
export function partitionOfDigest (sha256Digest: Uint8Array): number {
  if (!(sha256Digest instanceof Uint8Array) || sha256Digest.length !== SHA256_LENGTH) {
    throw new InvalidArgumentError(`a sha2-256 digest is ${SHA256_LENGTH} bytes, got ${sha256Digest instanceof Uint8Array ? sha256Digest.length : typeof sha256Digest}`)
  }
  const top = (((sha256Digest[0] as number) << 24) | ((sha256Digest[1] as number) << 16) |
    ((sha256Digest[2] as number) << 8) | (sha256Digest[3] as number)) >>> 0
  return top >>> (32 - PARTITION_BITS)
}

/** The partition of the ref `bucket/key`: top bits of sha256("ref\0" + bucket + "\0" + key), UTF-8. */
export function partitionOfRef (bucket: string, key: string): number {
  if (typeof bucket !== 'string' || typeof key !== 'string') throw new InvalidArgumentError('bucket and key must be strings')
  const digest = createHash('sha256').update(`ref\0${bucket}\0${key}`, 'utf8').digest()
  return partitionOfDigest(digest)
}
