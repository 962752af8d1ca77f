import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { InvalidCidError } from './errors.js'

/**
 * Chunk ids and the keys derived from them. Everything the store keys on is
 * the sha2-256 digest: its hex form is the index key and names the fan-out
 * directories, so index order, directory order and partition order agree.
 */

const DIGEST_LENGTH = 32

/** A validated chunk id with the forms the store uses. */
export interface ChunkId {
  readonly cid: CID
  /** the digest in lowercase hex: the index key */
  readonly key: string
  readonly digest: Uint8Array
}

/**
 * Validate that `cid` is a chunk id (CIDv1, raw codec, sha2-256 with a 32 byte
 * digest) and return its derived forms.
 */
export function toChunkId (input: CID): ChunkId {
  const cid = CID.asCID(input)
  if (cid == null) {
    throw new InvalidCidError(String(input), 'not a CID')
  }
  if (cid.version !== 1) {
    throw new InvalidCidError(cid.toString(), `CID version ${cid.version}`)
  }
  if (cid.code !== raw.code) {
    throw new InvalidCidError(cid.toString(), `codec 0x${cid.code.toString(16)} is not raw`)
  }
  if (cid.multihash.code !== sha256.code || cid.multihash.digest.byteLength !== DIGEST_LENGTH) {
    throw new InvalidCidError(cid.toString(), `multihash 0x${cid.multihash.code.toString(16)} is not sha2-256`)
  }
  const digest = cid.multihash.digest
  return { cid, digest, key: Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex') }
}

/** The chunk id whose digest has this hex form (as stored in the index). */
export function chunkIdFromKey (key: string): ChunkId {
  const digest = Uint8Array.from(Buffer.from(key, 'hex'))
  if (digest.byteLength !== DIGEST_LENGTH || key.length !== DIGEST_LENGTH * 2) {
    throw new InvalidCidError(key, 'index key is not a sha2-256 digest')
  }
  return { cid: CID.createV1(raw.code, createDigest(sha256.code, digest)), digest, key }
}

/**
 * Parse a chunk file name back into its id; undefined for anything that is
 * not a chunk id (stray files are left alone).
 */
export function parseChunkFileName (name: string): ChunkId | undefined {
  try {
    return toChunkId(CID.parse(name))
  } catch {
    return undefined
  }
}

/**
 * The index key range holding exactly the chunks of one partition. Keys are
 * digests in hex and a partition is the top `bits` bits of the digest
 * (`partitionOfDigest` in @weft/placement), so each partition is one
 * contiguous key range whatever the partition count.
 */
export function partitionKeyRange (partition: number, bits: number): { gte: string, lt?: string } {
  const shift = BigInt(DIGEST_LENGTH * 8 - bits)
  const hex = (n: bigint): string => n.toString(16).padStart(DIGEST_LENGTH * 2, '0')
  const gte = hex(BigInt(partition) << shift)
  if (partition + 1 >= 2 ** bits) {
    return { gte }
  }
  return { gte, lt: hex(BigInt(partition + 1) << shift) }
}
