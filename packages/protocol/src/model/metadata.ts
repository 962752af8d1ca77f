/**
 * User metadata and content type of an object, bounded like S3's: at most
 * 2 KiB of UTF-8 over all keys and values, so a manifest's root header (and
 * every HEAD response) stays small.
 */
import { MAX_CONTENT_TYPE_BYTES, MAX_METADATA_BYTES } from './constants.js'
import { InvalidMetadataError } from './errors.js'
import { utf8Bytes } from './codec.js'

/** User metadata: lowercase header-token keys to string values. */
export type UserMetadata = Readonly<Record<string, string>>

// an HTTP header token, lowercase (S3 returns metadata names lowercased)
const META_KEY = /^[a-z0-9!#$%&'*+.^_`|~-]+$/
const CONTENT_TYPE = /^[\x20-\x7e]*$/

/** Throws `InvalidMetadataError` unless `contentType` is printable ASCII of at most 256 bytes. */
export function validateContentType (contentType: unknown): asserts contentType is string {
  if (typeof contentType !== 'string') throw new InvalidMetadataError('content type must be a string')
  if (contentType.length > MAX_CONTENT_TYPE_BYTES) {
    throw new InvalidMetadataError(`content type is ${contentType.length} bytes; the limit is ${MAX_CONTENT_TYPE_BYTES}`)
  }
  if (!CONTENT_TYPE.test(contentType)) throw new InvalidMetadataError('content type must be printable ASCII')
}

/**
 * Validates user metadata and returns its entries sorted by key (the
 * canonical order manifests store). Throws `InvalidMetadataError` when a key
 * is not a lowercase HTTP token, a value holds a control character or is not
 * well-formed UTF-16, or keys plus values exceed 2 KiB of UTF-8.
 */
export function metadataEntries (metadata: unknown): Array<[string, string]> {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidMetadataError('metadata must be an object of string values')
  }
  let total = 0
  const entries: Array<[string, string]> = []
  for (const [key, value] of Object.entries(metadata as Record<string, unknown>)) {
    if (!META_KEY.test(key)) {
      throw new InvalidMetadataError(`metadata key ${JSON.stringify(key)} must be a non-empty lowercase HTTP token (a-z 0-9 ! # $ % & ' * + - . ^ _ \` | ~)`)
    }
    if (typeof value !== 'string') throw new InvalidMetadataError(`metadata value of ${JSON.stringify(key)} must be a string`)
    if (value.length > MAX_METADATA_BYTES) {
      throw new InvalidMetadataError(`metadata keys and values exceed ${MAX_METADATA_BYTES} bytes of UTF-8`)
    }
    if (hasControl(value)) throw new InvalidMetadataError(`metadata value of ${JSON.stringify(key)} must not contain control characters`)
    if (!wellFormed(value)) throw new InvalidMetadataError(`metadata value of ${JSON.stringify(key)} is not well-formed UTF-16`)
    total += key.length + utf8Bytes(value).length
    if (total > MAX_METADATA_BYTES) {
      throw new InvalidMetadataError(`metadata keys and values exceed ${MAX_METADATA_BYTES} bytes of UTF-8`)
    }
    entries.push([key, value])
  }
  return entries.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
}

/** C0 controls or DEL: the value must survive as an HTTP header (after RFC 2047 for non-ASCII) */
function hasControl (s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return true
  }
  return false
}

function wellFormed (s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false
    }
  }
  return true
}
