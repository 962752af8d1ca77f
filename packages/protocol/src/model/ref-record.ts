/**
 * Object refs: the mutable name `bucket/key -> manifest`, replicated on the
 * partition's replica set and merged last-writer-wins by HLC version. A
 * delete is a tombstone (a ref with `deleted: true`) so it wins over the older
 * put on every replica; it is collected after a grace period.
 *
 * Binary form (format 1):
 * ```
 * "WR" (0x57 0x52) | format u8 = 1 | kind u8 = 1 (object ref) | flags u8
 * | bucket str | key str | version str (encodeVersion form)
 * | live only: manifest sha256 32 B | size varint | etag str | [contentType str]
 * flags = bit 0: deleted, bit 1: has content type (never with deleted)
 * ```
 */
import { DEFAULT_TOMBSTONE_GRACE_MS, MAX_BUCKET_NAME_LENGTH, MAX_ETAG_LENGTH, MAX_KEY_BYTES, MAX_REF_RECORD_SIZE, MAX_CONTENT_TYPE_BYTES } from './constants.js'
import { ByteReader, ByteWriter } from './codec.js'
import { asChunkCid, cidFromDigest, SHA256_BYTES } from './cid.js'
import { InvalidRefRecordError } from './errors.js'
import { compareVersions, decodeVersion, encodeVersion, MAX_ENCODED_VERSION_LENGTH, validateVersion } from './hlc.js'
import { validateContentType } from './metadata.js'
import { validateBucketName, validateKey } from './names.js'
import type { Version } from './hlc.js'

export const RECORD_MAGIC_0 = 0x57
export const RECORD_MAGIC_1 = 0x52
export const RECORD_FORMAT = 1
export const RECORD_KIND_REF = 1
export const RECORD_KIND_BUCKET = 2

const FLAG_DELETED = 0x01
const FLAG_CONTENT_TYPE = 0x02
const ETAG = /^[\x21-\x7e]+$/

export interface RefRecord {
  readonly bucket: string
  readonly key: string
  /** the root manifest's CID string (base32); absent on a tombstone */
  readonly manifest?: string
  /** object bytes (0 on a tombstone) */
  readonly size: number
  /** the manifest's ETag ('' on a tombstone) */
  readonly etag: string
  readonly contentType?: string
  readonly version: Version
  readonly deleted: boolean
}

/**
 * Throws unless `ref` is consistent: a valid bucket name and key
 * (`InvalidBucketNameError`/`InvalidKeyError`), a valid version
 * (`InvalidVersionError`), and otherwise `InvalidRefRecordError`: a live ref
 * has a chunk-id manifest, a safe-integer size and a printable ETag of at
 * most 64 characters; a tombstone has no manifest, size 0, ETag '' and no
 * content type.
 */
export function validateRefRecord (ref: RefRecord): void {
  validateBucketName(ref.bucket)
  validateKey(ref.key)
  validateVersion(ref.version)
  if (typeof ref.deleted !== 'boolean') throw new InvalidRefRecordError('deleted must be a boolean')
  if (ref.deleted) {
    if (ref.manifest !== undefined || ref.size !== 0 || ref.etag !== '' || ref.contentType !== undefined) {
      throw new InvalidRefRecordError('a tombstone has no manifest, size 0, an empty ETag and no content type')
    }
    return
  }
  if (asChunkCid(ref.manifest) === undefined) throw new InvalidRefRecordError('manifest must be a CIDv1 raw sha2-256 string')
  if (!Number.isSafeInteger(ref.size) || ref.size < 0) throw new InvalidRefRecordError('size must be a non-negative safe integer')
  if (typeof ref.etag !== 'string' || ref.etag.length > MAX_ETAG_LENGTH || !ETAG.test(ref.etag)) {
    throw new InvalidRefRecordError(`etag must be 1 to ${MAX_ETAG_LENGTH} printable ASCII characters`)
  }
  if (ref.contentType !== undefined) {
    validateContentType(ref.contentType)
    if (ref.contentType === '') throw new InvalidRefRecordError('omit contentType rather than setting it to ""')
  }
}

/** A tombstone for `bucket/key` at `version`. */
export function tombstone (bucket: string, key: string, version: Version): RefRecord {
  return { bucket, key, size: 0, etag: '', version, deleted: true }
}

/**
 * The record that wins a merge: the greater version. Works for any record
 * with a version (object refs and bucket records); on equal versions (the
 * same write seen twice) returns `a`.
 */
export function newerRef<T extends { readonly version: Version }> (a: T, b: T): T {
  return compareVersions(b.version, a.version) > 0 ? b : a
}

/** True when `ref` is a tombstone older than the grace period and may be dropped. */
export function isCollectableTombstone (ref: { readonly deleted: boolean, readonly version: Version }, nowMs: number, graceMs: number = DEFAULT_TOMBSTONE_GRACE_MS): boolean {
  return ref.deleted && ref.version.wallMs + graceMs <= nowMs
}

/** Encodes a ref (validating it first). */
export function encodeRefRecord (ref: RefRecord): Uint8Array {
  validateRefRecord(ref)
  const w = new ByteWriter()
  w.byte(RECORD_MAGIC_0).byte(RECORD_MAGIC_1).byte(RECORD_FORMAT).byte(RECORD_KIND_REF)
  w.byte((ref.deleted ? FLAG_DELETED : 0) | (ref.contentType !== undefined ? FLAG_CONTENT_TYPE : 0))
  w.string(ref.bucket).string(ref.key).string(encodeVersion(ref.version))
  if (!ref.deleted) {
    const cid = asChunkCid(ref.manifest)
    if (cid === undefined) throw new InvalidRefRecordError('manifest must be a CIDv1 raw sha2-256 string')
    w.bytes(cid.multihash.digest).varint(ref.size).string(ref.etag)
    if (ref.contentType !== undefined) w.string(ref.contentType)
  }
  return w.finish()
}

function fail (message: string): InvalidRefRecordError {
  return new InvalidRefRecordError(`invalid ref record: ${message}`)
}

/** Decodes a ref; throws `InvalidRefRecordError` (only) on any malformed input. */
export function decodeRefRecord (bytes: Uint8Array): RefRecord {
  if (!(bytes instanceof Uint8Array)) throw fail('not bytes')
  if (bytes.length > MAX_REF_RECORD_SIZE) throw fail(`${bytes.length} bytes; the limit is ${MAX_REF_RECORD_SIZE}`)
  const r = new ByteReader(bytes, fail)
  if (r.byte('magic') !== RECORD_MAGIC_0 || r.byte('magic') !== RECORD_MAGIC_1) throw fail('bad magic')
  const format = r.byte('format')
  if (format !== RECORD_FORMAT) throw fail(`unknown format ${format}`)
  const kind = r.byte('kind')
  if (kind !== RECORD_KIND_REF) throw fail(`kind ${kind} is not an object ref`)
  const flags = r.byte('flags')
  if ((flags & ~(FLAG_DELETED | FLAG_CONTENT_TYPE)) !== 0) throw fail(`unknown flags 0x${flags.toString(16)}`)
  const deleted = (flags & FLAG_DELETED) !== 0
  const bucket = r.string('bucket', MAX_BUCKET_NAME_LENGTH)
  const key = r.string('key', MAX_KEY_BYTES)
  const versionText = r.string('version', MAX_ENCODED_VERSION_LENGTH)
  let ref: RefRecord
  try {
    const version = decodeVersion(versionText)
    if (deleted) {
      if ((flags & FLAG_CONTENT_TYPE) !== 0) throw fail('a tombstone has no content type')
      ref = tombstone(bucket, key, version)
    } else {
      const manifest = cidFromDigest(r.bytes(SHA256_BYTES, 'manifest id')).toString()
      const size = r.varint('size')
      const etag = r.string('etag', MAX_ETAG_LENGTH)
      const base = { bucket, key, manifest, size, etag, version, deleted }
      ref = (flags & FLAG_CONTENT_TYPE) !== 0 ? { ...base, contentType: r.string('content type', MAX_CONTENT_TYPE_BYTES) } : base
    }
    r.end('ref record')
    validateRefRecord(ref)
  } catch (err) {
    if (err instanceof InvalidRefRecordError) throw err
    throw new InvalidRefRecordError(`invalid ref record: ${(err as Error).message}`, undefined, { cause: err })
  }
  return ref
}
