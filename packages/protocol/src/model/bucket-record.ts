/**
 * Buckets: a name plus a policy. Bucket records are stored and replicated
 * exactly like object refs, under the reserved bucket `BUCKETS_NAMESPACE`
 * with the bucket name as key (see `bucketRecordLocation`), and merged the
 * same way (`newerRef`). A deleted bucket is a tombstone record.
 *
 * The policy is structurally a `PlacementPolicy` of `@weft/placement`
 * (`replicas`, `spread`, `allowedZones`) plus the chunk size, so it can be
 * handed to placement as is.
 *
 * Binary form (format 1):
 * ```
 * "WR" (0x57 0x52) | format u8 = 1 | kind u8 = 2 (bucket) | flags u8 (bit 0: deleted)
 * | name str | version str | replicas varint | spread u8 (0 zone, 1 rack, 2 host)
 * | chunkSize varint | zoneCount varint | zone str * zoneCount
 * ```
 */
import {
  BUCKETS_NAMESPACE, DEFAULT_BUCKET_REPLICAS, DEFAULT_BUCKET_SPREAD, DEFAULT_CHUNK_SIZE, MAX_BUCKET_ALLOWED_ZONES,
  MAX_BUCKET_NAME_LENGTH, MAX_BUCKET_RECORD_SIZE, MAX_BUCKET_REPLICAS, MAX_BUCKET_ZONE_LENGTH, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE
} from './constants.js'
import { ByteReader, ByteWriter } from './codec.js'
import { InvalidBucketPolicyError, InvalidBucketRecordError } from './errors.js'
import { decodeVersion, encodeVersion, MAX_ENCODED_VERSION_LENGTH, validateVersion } from './hlc.js'
import { validateBucketName } from './names.js'
import { RECORD_FORMAT, RECORD_KIND_BUCKET, RECORD_MAGIC_0, RECORD_MAGIC_1 } from './ref-record.js'
import type { Version } from './hlc.js'

/** The failure-domain level replicas are spread over (as in `@weft/placement`). */
export type BucketSpread = 'zone' | 'rack' | 'host'

const SPREADS: readonly BucketSpread[] = ['zone', 'rack', 'host']

export interface BucketPolicy {
  /** copies of every chunk and ref (1..16) */
  readonly replicas: number
  /** no two replicas share a domain at this level when enough domains exist */
  readonly spread: BucketSpread
  /** zone path prefixes data may live in (whole segments); empty means anywhere */
  readonly allowedZones: readonly string[]
  /** bytes per chunk for new objects (1 KiB..8 MiB) */
  readonly chunkSize: number
}

export interface BucketRecord {
  readonly name: string
  readonly policy: BucketPolicy
  readonly version: Version
  readonly deleted: boolean
}

export const DEFAULT_BUCKET_POLICY: BucketPolicy = Object.freeze({
  replicas: DEFAULT_BUCKET_REPLICAS,
  spread: DEFAULT_BUCKET_SPREAD,
  allowedZones: Object.freeze([]),
  chunkSize: DEFAULT_CHUNK_SIZE
})

// printable ASCII without spaces, no leading slash, no empty segment
const ZONE = /^[\x21-\x2e\x30-\x7e]+(\/[\x21-\x2e\x30-\x7e]+)*\/?$/

/**
 * Throws `InvalidBucketPolicyError` unless replicas is an integer in 1..16,
 * spread is zone|rack|host, allowedZones holds at most 32 distinct zone
 * prefixes (`region/dc/...`, printable, no empty segments, at most 255
 * characters) and chunkSize is an integer in 1 KiB..MAX_CHUNK_SIZE (8 MiB).
 */
export function validateBucketPolicy (policy: BucketPolicy): void {
  if (typeof policy !== 'object' || policy === null) throw new InvalidBucketPolicyError('policy must be an object')
  const { replicas, spread, allowedZones, chunkSize } = policy
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_BUCKET_REPLICAS) {
    throw new InvalidBucketPolicyError(`replicas must be an integer from 1 to ${MAX_BUCKET_REPLICAS}, got ${String(replicas)}`)
  }
  if (!SPREADS.includes(spread)) throw new InvalidBucketPolicyError(`spread must be one of ${SPREADS.join(', ')}, got ${String(spread)}`)
  if (!Array.isArray(allowedZones) || allowedZones.length > MAX_BUCKET_ALLOWED_ZONES) {
    throw new InvalidBucketPolicyError(`allowedZones must be an array of at most ${MAX_BUCKET_ALLOWED_ZONES} zone prefixes`)
  }
  const seen = new Set<string>()
  for (const zone of allowedZones as unknown[]) {
    if (typeof zone !== 'string' || zone.length > MAX_BUCKET_ZONE_LENGTH || !ZONE.test(zone)) {
      throw new InvalidBucketPolicyError(`allowed zone ${JSON.stringify(zone)} must be a path like "eu/dc1" (printable, no spaces, no empty segments, at most ${MAX_BUCKET_ZONE_LENGTH} characters)`)
    }
    if (seen.has(zone)) throw new InvalidBucketPolicyError(`allowed zone ${JSON.stringify(zone)} is listed twice`)
    seen.add(zone)
  }
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new InvalidBucketPolicyError(`chunkSize must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE} bytes, got ${String(chunkSize)}`)
  }
}

/** A full policy from a partial one (defaults filled in), validated. */
export function resolveBucketPolicy (partial: Partial<BucketPolicy> = {}): BucketPolicy {
  const policy: BucketPolicy = {
    replicas: partial.replicas ?? DEFAULT_BUCKET_POLICY.replicas,
    spread: partial.spread ?? DEFAULT_BUCKET_POLICY.spread,
    allowedZones: [...(partial.allowedZones ?? DEFAULT_BUCKET_POLICY.allowedZones)],
    chunkSize: partial.chunkSize ?? DEFAULT_BUCKET_POLICY.chunkSize
  }
  validateBucketPolicy(policy)
  return policy
}

/**
 * The policy bucket records themselves are placed by: r = 3 (or every up
 * node when fewer exist), anywhere. Clients and nodes must agree on it.
 */
export function bucketsNamespacePolicy (upNodes: number): { replicas: number, spread: BucketSpread, allowedZones: readonly string[] } {
  return { replicas: Math.max(1, Math.min(DEFAULT_BUCKET_POLICY.replicas, upNodes)), spread: DEFAULT_BUCKET_POLICY.spread, allowedZones: [] }
}

/** Where a bucket's record lives in the ref space. */
export function bucketRecordLocation (name: string): { bucket: string, key: string } {
  validateBucketName(name)
  return { bucket: BUCKETS_NAMESPACE, key: name }
}

/** Throws (name, policy, version or `InvalidBucketRecordError`) unless `record` is valid. */
export function validateBucketRecord (record: BucketRecord): void {
  validateBucketName(record.name)
  validateBucketPolicy(record.policy)
  validateVersion(record.version)
  if (typeof record.deleted !== 'boolean') throw new InvalidBucketRecordError('deleted must be a boolean')
}

/** Encodes a bucket record (validating it first). */
export function encodeBucketRecord (record: BucketRecord): Uint8Array {
  validateBucketRecord(record)
  const { policy } = record
  const w = new ByteWriter()
  w.byte(RECORD_MAGIC_0).byte(RECORD_MAGIC_1).byte(RECORD_FORMAT).byte(RECORD_KIND_BUCKET).byte(record.deleted ? 1 : 0)
  w.string(record.name).string(encodeVersion(record.version))
  w.varint(policy.replicas).byte(SPREADS.indexOf(policy.spread)).varint(policy.chunkSize)
  w.varint(policy.allowedZones.length)
  for (const zone of policy.allowedZones) w.string(zone)
  return w.finish()
}

function fail (message: string): InvalidBucketRecordError {
  return new InvalidBucketRecordError(`invalid bucket record: ${message}`)
}

/** Decodes a bucket record; throws `InvalidBucketRecordError` (only) on any malformed input. */
export function decodeBucketRecord (bytes: Uint8Array): BucketRecord {
  if (!(bytes instanceof Uint8Array)) throw fail('not bytes')
  if (bytes.length > MAX_BUCKET_RECORD_SIZE) throw fail(`${bytes.length} bytes; the limit is ${MAX_BUCKET_RECORD_SIZE}`)
  const r = new ByteReader(bytes, fail)
  if (r.byte('magic') !== RECORD_MAGIC_0 || r.byte('magic') !== RECORD_MAGIC_1) throw fail('bad magic')
  const format = r.byte('format')
  if (format !== RECORD_FORMAT) throw fail(`unknown format ${format}`)
  const kind = r.byte('kind')
  if (kind !== RECORD_KIND_BUCKET) throw fail(`kind ${kind} is not a bucket record`)
  const flags = r.byte('flags')
  if (flags > 1) throw fail(`unknown flags 0x${flags.toString(16)}`)
  const name = r.string('name', MAX_BUCKET_NAME_LENGTH)
  const versionText = r.string('version', MAX_ENCODED_VERSION_LENGTH)
  const replicas = r.varint('replicas', MAX_BUCKET_REPLICAS)
  const spread = SPREADS[r.byte('spread')]
  if (spread === undefined) throw fail('unknown spread level')
  const chunkSize = r.varint('chunk size', MAX_CHUNK_SIZE)
  const zoneCount = r.varint('zone count', MAX_BUCKET_ALLOWED_ZONES)
  const allowedZones: string[] = []
  for (let i = 0; i < zoneCount; i++) allowedZones.push(r.string('zone', MAX_BUCKET_ZONE_LENGTH))
  r.end('bucket record')
  try {
    const record: BucketRecord = { name, policy: { replicas, spread, allowedZones, chunkSize }, version: decodeVersion(versionText), deleted: flags === 1 }
    validateBucketRecord(record)
    return record
  } catch (err) {
    throw new InvalidBucketRecordError(`invalid bucket record: ${(err as Error).message}`, undefined, { cause: err })
  }
}
