/**
 * Chunk ids as GC handles them: every chunk id is CIDv1 raw sha2-256, so
 * the 32-byte digest is the whole id, and a short string of it keys sets.
 */
import type { CID } from 'multiformats/cid'

/** bytes of a sha2-256 digest */
export const DIGEST_BYTES = 32

/** A set key for the digest at `offset` of `bytes` (base64 of its 32 bytes). */
export function digestKey (bytes: Uint8Array, offset = 0): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, DIGEST_BYTES).toString('base64')
}

export function cidKey (cid: CID): string {
  return digestKey(cid.multihash.digest)
}
