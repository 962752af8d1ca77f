/**
 * Bodies of the ref protocol's frames. Requests are decoded by servers from
 * anyone, answers by clients from any node: both sides check every bound
 * before allocating, and fail with `InvalidRefRequestError`.
 *
 * ```
 * PUT        record bytes (an object ref or a bucket record, "WR" format 1)
 * PUT_OK     status u8 (0 stored, 1 existing, 2 older) | current version str
 * GET        bucket str | key str
 * GET_OK     found u8 | [record bytes]
 * LIST       bucket str | prefix str | flags u8 (bit 0: startAfter) | [startAfter str] | limit varint
 * PARTITION  partition varint | flags u8 (bit 0: startAfter) | [bucket str | key str] | limit varint
 * LIST_OK    flags u8 (bit 0: more) | count varint | (length varint | record bytes) * count
 * REFERENCED count varint (1..MAX_REFERENCED_BATCH) | sha256 32 B * count
 * REFERENCED_OK  flags u8 (bit 0: complete) | count varint | bitmap ceil(count / 8) B
 *            (bit i, LSB first: the i-th id is referenced; unused bits 0)
 * ERROR      code str | message str
 * ```
 */
import { BatchTooLargeError } from '../chunk/errors.js'
import { cidFromDigest, isChunkCid, SHA256_BYTES } from '../model/cid.js'
import { ByteReader, ByteWriter } from '../model/codec.js'
import { BUCKETS_NAMESPACE, MAX_BUCKET_NAME_LENGTH, MAX_KEY_BYTES } from '../model/constants.js'
import { decodeVersion, encodeVersion, MAX_ENCODED_VERSION_LENGTH } from '../model/hlc.js'
import { validateBucketName, validateKey } from '../model/names.js'
import {
  MAX_LIST_LIMIT, MAX_REF_ERROR_CODE_LENGTH, MAX_REF_ERROR_MESSAGE_LENGTH, MAX_REFERENCED_BATCH, MAX_STORED_RECORD_SIZE
} from './constants.js'
import { InvalidRefRequestError } from './errors.js'
import type { Version } from '../model/hlc.js'
import type { RecordLocation } from './records.js'
import type { CID } from 'multiformats/cid'

/** What a replica did with a PUT: stored it, already held it, or holds a newer version. */
export type RefPutStatus = 'stored' | 'existing' | 'older'

const REF_PUT_STATUSES: readonly RefPutStatus[] = ['stored', 'existing', 'older']

export interface RefPutAnswer {
  readonly status: RefPutStatus
  /** the version the replica holds now (the record's own unless `older`) */
  readonly current: Version
}

export interface RefListRequest {
  /** a bucket name, or BUCKETS_NAMESPACE for bucket records */
  readonly bucket: string
  /** '' for every key */
  readonly prefix: string
  /** only keys after this one (exclusive) */
  readonly startAfter?: string
  /** 1..MAX_LIST_LIMIT */
  readonly limit: number
}

export interface RefPartitionRequest {
  readonly partition: number
  readonly startAfter?: RecordLocation
  readonly limit: number
}

export interface RefListAnswer {
  /** encoded records in key order */
  readonly records: Uint8Array[]
  /** true when the replica holds more records after the last one */
  readonly more: boolean
}

/** What a node answers to REFERENCED: which of the asked chunk ids a live ref it holds reaches. */
export interface RefReferencedAnswer {
  /** one flag per asked id, in the order asked */
  readonly referenced: boolean[]
  /**
   * false when the node could not resolve every manifest its live refs point
   * to: an id flagged false may still be referenced, so nothing may be
   * deleted on this answer
   */
  readonly complete: boolean
}

export interface RefErrorAnswer {
  readonly code: string
  readonly message: string
}

const fail = (message: string): InvalidRefRequestError => new InvalidRefRequestError(message)

/** Throws InvalidRefRequestError unless `bucket` names a bucket or the bucket namespace. */
export function validateRefBucket (bucket: string): void {
  if (bucket === BUCKETS_NAMESPACE) return
  try {
    validateBucketName(bucket)
  } catch (err) {
    throw new InvalidRefRequestError(`invalid bucket: ${(err as Error).message}`, undefined, { cause: err })
  }
}

function checkKey (key: string, what: string): void {
  try {
    validateKey(key)
  } catch (err) {
    throw new InvalidRefRequestError(`invalid ${what}: ${(err as Error).message}`, undefined, { cause: err })
  }
}

function checkLimit (limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw fail(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${limit}`)
}

/** Throws InvalidRefRequestError unless the list request is within bounds. */
export function validateRefListRequest (req: RefListRequest): void {
  validateRefBucket(req.bucket)
  if (req.prefix !== '') checkKey(req.prefix, 'prefix')
  if (req.startAfter !== undefined) checkKey(req.startAfter, 'startAfter')
  checkLimit(req.limit)
}

export function encodeRefGetRequest (loc: RecordLocation): Uint8Array {
  validateRefBucket(loc.bucket)
  checkKey(loc.key, 'key')
  return new ByteWriter(64).string(loc.bucket).string(loc.key).finish()
}

export function decodeRefGetRequest (body: Uint8Array): RecordLocation {
  const r = new ByteReader(body, fail)
  const bucket = r.string('bucket', MAX_BUCKET_NAME_LENGTH)
  const key = r.string('key', MAX_KEY_BYTES)
  r.end('GET')
  validateRefBucket(bucket)
  checkKey(key, 'key')
  return { bucket, key }
}

export function encodeRefListRequest (req: RefListRequest): Uint8Array {
  validateRefListRequest(req)
  const w = new ByteWriter(64).string(req.bucket).string(req.prefix).byte(req.startAfter !== undefined ? 1 : 0)
  if (req.startAfter !== undefined) w.string(req.startAfter)
  return w.varint(req.limit).finish()
}

export function decodeRefListRequest (body: Uint8Array): RefListRequest {
  const r = new ByteReader(body, fail)
  const bucket = r.string('bucket', MAX_BUCKET_NAME_LENGTH)
  const prefix = r.string('prefix', MAX_KEY_BYTES)
  const flags = r.byte('flags')
  if (flags > 1) throw fail(`unknown LIST flags 0x${flags.toString(16)}`)
  const startAfter = flags === 1 ? r.string('startAfter', MAX_KEY_BYTES) : undefined
  const limit = r.varint('limit', MAX_LIST_LIMIT, 1)
  r.end('LIST')
  const req: RefListRequest = startAfter !== undefined ? { bucket, prefix, startAfter, limit } : { bucket, prefix, limit }
  validateRefListRequest(req)
  return req
}

/** partitions are placement's (2^22 today); the wire allows any 32-bit number */
const MAX_PARTITION = 0xFFFFFFFF

export function encodeRefPartitionRequest (req: RefPartitionRequest): Uint8Array {
  if (!Number.isInteger(req.partition) || req.partition < 0 || req.partition > MAX_PARTITION) throw fail(`partition out of range: ${req.partition}`)
  checkLimit(req.limit)
  const w = new ByteWriter(64).varint(req.partition).byte(req.startAfter !== undefined ? 1 : 0)
  if (req.startAfter !== undefined) w.string(req.startAfter.bucket).string(req.startAfter.key)
  return w.varint(req.limit).finish()
}

export function decodeRefPartitionRequest (body: Uint8Array): RefPartitionRequest {
  const r = new ByteReader(body, fail)
  const partition = r.varint('partition', MAX_PARTITION)
  const flags = r.byte('flags')
  if (flags > 1) throw fail(`unknown PARTITION flags 0x${flags.toString(16)}`)
  let startAfter: RecordLocation | undefined
  if (flags === 1) {
    const bucket = r.string('bucket', MAX_BUCKET_NAME_LENGTH)
    const key = r.string('key', MAX_KEY_BYTES)
    validateRefBucket(bucket)
    checkKey(key, 'key')
    startAfter = { bucket, key }
  }
  const limit = r.varint('limit', MAX_LIST_LIMIT, 1)
  r.end('PARTITION')
  return startAfter !== undefined ? { partition, startAfter, limit } : { partition, limit }
}

export function encodeRefPutAnswer (answer: RefPutAnswer): Uint8Array {
  return new ByteWriter(64).byte(REF_PUT_STATUSES.indexOf(answer.status)).string(encodeVersion(answer.current)).finish()
}

export function decodeRefPutAnswer (body: Uint8Array): RefPutAnswer {
  const r = new ByteReader(body, fail)
  const status = REF_PUT_STATUSES[r.byte('status')]
  if (status === undefined) throw fail('unknown PUT status')
  const text = r.string('version', MAX_ENCODED_VERSION_LENGTH)
  r.end('PUT_OK')
  try {
    return { status, current: decodeVersion(text) }
  } catch (err) {
    throw new InvalidRefRequestError(`PUT_OK: ${(err as Error).message}`, undefined, { cause: err })
  }
}

export function encodeRefGetAnswer (record: Uint8Array | undefined): Uint8Array {
  if (record == null) return Uint8Array.of(0)
  const out = new Uint8Array(1 + record.byteLength)
  out[0] = 1
  out.set(record, 1)
  return out
}

export function decodeRefGetAnswer (body: Uint8Array): Uint8Array | undefined {
  const found = body[0]
  if (found === 0 && body.byteLength === 1) return undefined
  if (found !== 1) throw fail('malformed GET_OK')
  const record = body.subarray(1)
  if (record.byteLength === 0 || record.byteLength > MAX_STORED_RECORD_SIZE) throw fail(`GET_OK record of ${record.byteLength} bytes`)
  return record
}

export function encodeRefListAnswer (answer: RefListAnswer): Uint8Array {
  if (answer.records.length > MAX_LIST_LIMIT) throw new RangeError(`more than ${MAX_LIST_LIMIT} records in one answer`)
  let size = 16
  for (const r of answer.records) size += r.byteLength + 3
  const w = new ByteWriter(size).byte(answer.more ? 1 : 0).varint(answer.records.length)
  for (const r of answer.records) w.varint(r.byteLength).bytes(r)
  return w.finish()
}

export function decodeRefListAnswer (body: Uint8Array): RefListAnswer {
  const r = new ByteReader(body, fail)
  const flags = r.byte('flags')
  if (flags > 1) throw fail(`unknown LIST_OK flags 0x${flags.toString(16)}`)
  const count = r.varint('count', MAX_LIST_LIMIT)
  const records: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const n = r.varint('record length', MAX_STORED_RECORD_SIZE, 1)
    records.push(r.bytes(n, 'record'))
  }
  r.end('LIST_OK')
  return { records, more: flags === 1 }
}

function checkBatch (count: number): void {
  if (count > MAX_REFERENCED_BATCH) throw new BatchTooLargeError(`REFERENCED asks about ${count} ids; the limit is ${MAX_REFERENCED_BATCH}`)
  if (count < 1) throw fail('REFERENCED asks about no ids')
}

/** Chunk ids (CIDv1 raw sha2-256) as a REFERENCED body; throws BatchTooLargeError beyond MAX_REFERENCED_BATCH. */
export function encodeRefReferencedRequest (cids: readonly CID[]): Uint8Array {
  checkBatch(cids.length)
  const w = new ByteWriter(8 + cids.length * SHA256_BYTES).varint(cids.length)
  for (const cid of cids) {
    if (!isChunkCid(cid)) throw fail(`${cid.toString()} is not a chunk id`)
    w.bytes(cid.multihash.digest)
  }
  return w.finish()
}

export function decodeRefReferencedRequest (body: Uint8Array): CID[] {
  const r = new ByteReader(body, fail)
  const count = r.varint('count')
  checkBatch(count)
  const digests = r.bytes(count * SHA256_BYTES, 'digests')
  r.end('REFERENCED')
  const cids: CID[] = []
  for (let i = 0; i < count; i++) cids.push(cidFromDigest(digests.slice(i * SHA256_BYTES, (i + 1) * SHA256_BYTES)))
  return cids
}

export function encodeRefReferencedAnswer (answer: RefReferencedAnswer): Uint8Array {
  const count = answer.referenced.length
  checkBatch(count)
  const bitmap = new Uint8Array(Math.ceil(count / 8))
  answer.referenced.forEach((yes, i) => {
    if (yes) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7))
  })
  return new ByteWriter(8 + bitmap.byteLength).byte(answer.complete ? 1 : 0).varint(count).bytes(bitmap).finish()
}

/** Decodes a REFERENCED_OK body, which must answer exactly `asked` ids. */
export function decodeRefReferencedAnswer (body: Uint8Array, asked: number): RefReferencedAnswer {
  const r = new ByteReader(body, fail)
  const flags = r.byte('flags')
  if (flags > 1) throw fail(`unknown REFERENCED_OK flags 0x${flags.toString(16)}`)
  const count = r.varint('count', MAX_REFERENCED_BATCH)
  if (count !== asked) throw fail(`REFERENCED_OK answers ${count} ids, ${asked} were asked`)
  const bitmap = r.bytes(Math.ceil(count / 8), 'bitmap')
  r.end('REFERENCED_OK')
  const referenced: boolean[] = []
  for (let i = 0; i < count; i++) referenced.push(((bitmap[i >> 3] as number) & (1 << (i & 7))) !== 0)
  const last = bitmap[bitmap.length - 1] as number
  if ((count & 7) !== 0 && (last >> (count & 7)) !== 0) throw fail('REFERENCED_OK sets bits past the last id')
  return { referenced, complete: flags === 1 }
}

export function encodeRefErrorAnswer (answer: RefErrorAnswer): Uint8Array {
  const code = answer.code.slice(0, MAX_REF_ERROR_CODE_LENGTH)
  let message = answer.message
  // bounded in UTF-8 bytes, as the decoder checks
  while (new TextEncoder().encode(message).byteLength > MAX_REF_ERROR_MESSAGE_LENGTH) message = message.slice(0, Math.floor(message.length * 0.9))
  return new ByteWriter(64 + message.length).string(code).string(message).finish()
}

export function decodeRefErrorAnswer (body: Uint8Array): RefErrorAnswer {
  const r = new ByteReader(body, fail)
  const code = r.string('code', MAX_REF_ERROR_CODE_LENGTH)
  const message = r.string('message', MAX_REF_ERROR_MESSAGE_LENGTH)
  r.end('ERROR')
  return { code, message }
}
