/**
 * Bucket names and object keys, by S3's rules, so any S3 client's names work
 * unchanged through a gateway and no weft name is one S3 would refuse.
 */
import { BUCKETS_NAMESPACE, MAX_BUCKET_NAME_LENGTH, MAX_KEY_BYTES, MIN_BUCKET_NAME_LENGTH } from './constants.js'
import { InvalidBucketNameError, InvalidKeyError } from './errors.js'

const BUCKET_CHARSET = /^[a-z0-9.-]+$/
const ALNUM = /^[a-z0-9]$/
const IPV4_LIKE = /^\d+\.\d+\.\d+\.\d+$/

/** Prefixes S3 reserves for itself. */
export const RESERVED_BUCKET_PREFIXES: readonly string[] = ['xn--', 'sthree-', 'amzn-s3-demo-']
/** Suffixes S3 reserves for access points, aliases and other bucket types. */
export const RESERVED_BUCKET_SUFFIXES: readonly string[] = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']

/**
 * Throws `InvalidBucketNameError` (code `ERR_INVALID_BUCKET_NAME`, `rule` set)
 * unless `name` is a valid S3 general-purpose bucket name:
 *
 * - `length`: 3 to 63 characters
 * - `charset`: only lowercase letters, digits, dots and hyphens
 * - `edge`: starts and ends with a letter or a digit
 * - `adjacent-dots`: no two adjacent dots
 * - `ip-address`: not shaped like an IPv4 address (`192.168.5.4`)
 * - `reserved-prefix`: does not start with `xn--`, `sthree-`, `amzn-s3-demo-`
 * - `reserved-suffix`: does not end with `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`
 *
 * The reserved namespace `BUCKETS_NAMESPACE` (`.buckets`) fails the `edge` rule,
 * so no bucket can shadow the bucket records.
 */
export function validateBucketName (name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new InvalidBucketNameError('type', `bucket name must be a string, got ${typeof name}`)
  }
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name)
  if (name.length < MIN_BUCKET_NAME_LENGTH || name.length > MAX_BUCKET_NAME_LENGTH) {
    throw new InvalidBucketNameError('length', `bucket name ${shown} must be ${MIN_BUCKET_NAME_LENGTH} to ${MAX_BUCKET_NAME_LENGTH} characters long (it has ${name.length})`)
  }
  if (!BUCKET_CHARSET.test(name)) {
    throw new InvalidBucketNameError('charset', `bucket name ${shown} may contain only lowercase letters, digits, dots and hyphens`)
  }
  if (!ALNUM.test(name[0] ?? '') || !ALNUM.test(name[name.length - 1] ?? '')) {
    throw new InvalidBucketNameError('edge', `bucket name ${shown} must start and end with a lowercase letter or a digit`)
  }
  if (name.includes('..')) {
    throw new InvalidBucketNameError('adjacent-dots', `bucket name ${shown} must not contain two adjacent dots`)
  }
  if (IPV4_LIKE.test(name)) {
    throw new InvalidBucketNameError('ip-address', `bucket name ${shown} must not be formatted as an IP address`)
  }
  const prefix = RESERVED_BUCKET_PREFIXES.find(p => name.startsWith(p))
  if (prefix !== undefined) {
    throw new InvalidBucketNameError('reserved-prefix', `bucket name ${shown} must not start with the reserved prefix "${prefix}"`)
  }
  const suffix = RESERVED_BUCKET_SUFFIXES.find(s => name.endsWith(s))
  if (suffix !== undefined) {
    throw new InvalidBucketNameError('reserved-suffix', `bucket name ${shown} must not end with the reserved suffix "${suffix}"`)
  }
}

/** True when `name` is a valid bucket name (see `validateBucketName`). */
export function isValidBucketName (name: unknown): name is string {
  try {
    validateBucketName(name)
    return true
  } catch {
    return false
  }
}

/** True for weft's internal namespaces (bucket records), which no user bucket can be. */
export function isReservedBucket (name: string): boolean {
  return name === BUCKETS_NAMESPACE
}

/**
 * Throws `InvalidKeyError` (code `ERR_INVALID_KEY`, `rule` set) unless `key`
 * is a valid object key:
 *
 * - `utf16`: a well-formed string (no lone surrogates), so it has exactly
 *   one UTF-8 encoding and survives every hop unchanged
 * - `length`: 1 to 1024 bytes of UTF-8 (S3's bound)
 * - `control-character`: no C0 control characters (U+0000 to U+001F) and no
 *   DEL (U+007F). S3 accepts them, but they cannot be written in an S3 XML
 *   listing, they break logs and terminals, and NUL is the separator of the
 *   ref partition hash input (`ref\0bucket\0key`). Everything else is allowed
 *   (including `/`, `..`, leading slashes and C1 controls); keys are compared
 *   as exact code points, with no Unicode normalisation, as in S3.
 */
export function validateKey (key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidKeyError('type', `key must be a string, got ${typeof key}`)
  }
  // every UTF-16 unit is at least one UTF-8 byte: bound the work on huge input
  if (key.length > MAX_KEY_BYTES) {
    throw new InvalidKeyError('length', `key is at least ${key.length} bytes of UTF-8; the limit is ${MAX_KEY_BYTES}`)
  }
  let bytes = 0
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) {
      throw new InvalidKeyError('control-character', `key must not contain control character U+${c.toString(16).padStart(4, '0').toUpperCase()} (at index ${i})`)
    }
    if (c < 0x80) {
      bytes += 1
    } else if (c < 0x800) {
      bytes += 2
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = key.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) {
        throw new InvalidKeyError('utf16', `key has a lone high surrogate at index ${i}; it must be well-formed UTF-16`)
      }
      bytes += 4
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new InvalidKeyError('utf16', `key has a lone low surrogate at index ${i}; it must be well-formed UTF-16`)
    } else {
      bytes += 3
    }
  }
  if (bytes === 0) {
    throw new InvalidKeyError('length', 'key must not be empty (1 to 1024 bytes of UTF-8)')
  }
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidKeyError('length', `key is ${bytes} bytes of UTF-8; the limit is ${MAX_KEY_BYTES}`)
  }
}

/** True when `key` is a valid object key (see `validateKey`). */
export function isValidKey (key: unknown): key is string {
  try {
    validateKey(key)
    return true
  } catch {
    return false
  }
}
