/**
 * Chunk ids: CIDv1, raw codec, sha2-256 (the ids IPFS gives raw blocks), so
 * a chunk's id is a pure function of its bytes. Manifests are chunks too.
 */
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { HashMismatchError } from './errors.js'

/** bytes of a sha2-256 digest */
export const SHA256_BYTES = 32

/** SHA-256 of `bytes`, synchronously (node:crypto). */
export function sha256Bytes (bytes: Uint8Array): Uint8Array {
  const h = createHash('sha256').update(bytes).digest()
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength)
}

/** The chunk id of a 32-byte SHA-256 digest. */
export function cidFromDigest (digest: Uint8Array): CID {
  if (digest.length !== SHA256_BYTES) throw new RangeError(`sha2-256 digest must be ${SHA256_BYTES} bytes, got ${digest.length}`)
  return CID.createV1(raw.code, Digest.create(sha256.code, digest))
}

/** The chunk id of `bytes`, synchronously. */
export function chunkCidSync (bytes: Uint8Array): CID {
  return cidFromDigest(sha256Bytes(bytes))
}

/** The chunk id of `bytes` (async form, for symmetry with hashing APIs that are). */
export async function chunkCid (bytes: Uint8Array): Promise<CID> {
  return chunkCidSync(bytes)
}

/** True when `cid` is a chunk id weft accepts: CIDv1, raw codec, sha2-256. */
export function isChunkCid (cid: CID): boolean {
  return cid.version === 1 && cid.code === raw.code && cid.multihash.code === sha256.code &&
    cid.multihash.digest.length === SHA256_BYTES
}

/**
 * Parses a CID (a `CID` or its string form) and checks that it is a chunk id;
 * returns undefined for anything else.
 */
export function asChunkCid (value: unknown): CID | undefined {
  try {
    const cid = typeof value === 'string' ? CID.parse(value) : CID.asCID(value)
    return cid !== null && isChunkCid(cid) ? cid : undefined
  } catch {
    return undefined
  }
}

/** Throws `HashMismatchError` unless `bytes` hash to `cid`. */
export function verifyChunk (cid: CID, bytes: Uint8Array): void {
  if (!isChunkCid(cid)) throw new HashMismatchError(`${cid.toString()} is not a raw sha2-256 CIDv1`)
  if (!equalBytes(sha256Bytes(bytes), cid.multihash.digest)) {
    throw new HashMismatchError(`bytes do not hash to ${cid.toString()}`)
  }
}

/** Byte-wise equality (hashes are public, so no constant-time compare is needed). */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false
  }
  return true
}
