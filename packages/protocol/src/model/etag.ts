/**
 * ETags. S3 clients treat an ETag without a `-` as the MD5 of the content and
 * some verify it; weft hashes with SHA-256 only, so its ETags take S3's
 * multipart shape `<32 hex>-<chunk count>`, which clients know not to check.
 * The hex part is the first 16 bytes of SHA-256("weft-etag-v1" || the chunk
 * digests in order): it depends only on the content and how it was chunked
 * (like S3's multipart ETag), not on metadata or version, so re-uploading the
 * same bytes with the same chunk size gives the same ETag.
 */
import { createHash, type Hash } from 'node:crypto'

/** bytes of the hash part of an ETag */
export const ETAG_HASH_BYTES = 16
const ETAG_DOMAIN = new TextEncoder().encode('weft-etag-v1')

/** Accumulates an ETag over chunk digests fed in object order. */
export class EtagHasher {
  private readonly hash: Hash = createHash('sha256').update(ETAG_DOMAIN)
  private result?: Uint8Array

  update (chunkDigest: Uint8Array): void {
    if (this.result !== undefined) throw new Error('etag already computed')
    this.hash.update(chunkDigest)
  }

  /** the 16-byte hash part; no updates are accepted afterwards */
  digest (): Uint8Array {
    this.result ??= new Uint8Array(this.hash.digest().subarray(0, ETAG_HASH_BYTES))
    return this.result
  }
}

/** The ETag string of a hash part and chunk count. */
export function formatEtag (hash: Uint8Array, chunkCount: number): string {
  return `${Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex')}-${chunkCount}`
}
