/**
 * What a ref replica stores: object refs and bucket records, which share the
 * ref space (a bucket record lives at `BUCKETS_NAMESPACE/<name>`) and the
 * record envelope ("WR", format 1, a kind byte). Also the key order every
 * replica and merger must agree on.
 */
import { BUCKETS_NAMESPACE } from '../model/constants.js'
import { decodeBucketRecord, encodeBucketRecord } from '../model/bucket-record.js'
import { decodeRefRecord, encodeRefRecord, RECORD_KIND_BUCKET, RECORD_KIND_REF } from '../model/ref-record.js'
import { InvalidRefRecordError } from '../model/errors.js'
import type { BucketRecord } from '../model/bucket-record.js'
import type { RefRecord } from '../model/ref-record.js'

/** Either kind of record a ref replica holds. */
export type StoredRecord = RefRecord | BucketRecord

/** Where a record lives in the ref space: its bucket and key. */
export interface RecordLocation {
  readonly bucket: string
  readonly key: string
}

/** True for a bucket record (it has a name and a policy, no bucket/key). */
export function isBucketRecord (record: StoredRecord): record is BucketRecord {
  return 'policy' in record && 'name' in record
}

/** The bucket and key a record is stored under. */
export function recordLocation (record: StoredRecord): RecordLocation {
  return isBucketRecord(record) ? { bucket: BUCKETS_NAMESPACE, key: record.name } : { bucket: record.bucket, key: record.key }
}

/** Encodes either kind (validating it). */
export function encodeStoredRecord (record: StoredRecord): Uint8Array {
  return isBucketRecord(record) ? encodeBucketRecord(record) : encodeRefRecord(record)
}

/**
 * Decodes either kind by its kind byte; throws `InvalidRefRecordError` or
 * `InvalidBucketRecordError` on malformed input.
 */
export function decodeStoredRecord (bytes: Uint8Array): StoredRecord {
  // magic (2) | format (1) | kind (1): the kind decides; each decoder checks the rest
  const kind = bytes[3]
  if (kind === RECORD_KIND_BUCKET) return decodeBucketRecord(bytes)
  if (kind === RECORD_KIND_REF) return decodeRefRecord(bytes)
  throw new InvalidRefRecordError(`invalid record: unknown kind ${String(kind)}`)
}

/**
 * Key order of listings: UTF-8 byte order (as S3 lists, and as level sorts
 * the replicas' keys), which for well-formed strings is code point order.
 * JavaScript's `<` compares UTF-16 code units, which puts U+E000..U+FFFF
 * after astral characters; this does not.
 */
export function compareKeys (a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

/** Surrogates (U+D800..U+DFFF, only ever the start of an astral code point) rank above U+FFFF. */
function codePointRank (unit: number): number {
  if (unit >= 0xE000) return unit - 0x800
  if (unit >= 0xD800) return unit + 0x2000
  return unit
}
