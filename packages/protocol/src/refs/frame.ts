/**
 * Ref protocol framing: `length varint | type u8 | request id varint | body`,
 * where length counts everything after itself. Requests go client -> server
 * and carry ids >= 1; each answer carries its request's id; an ERROR with id
 * 0 is about the whole session and precedes a reset.
 */
import { FrameTooLargeError, ProtocolError } from '../chunk/errors.js'
import { MAX_REF_REQUEST_ID } from './constants.js'

export const RefFrameType = {
  PUT: 0x01,
  GET: 0x02,
  LIST: 0x03,
  PARTITION: 0x04,
  REFERENCED: 0x05,
  PUT_OK: 0x81,
  GET_OK: 0x82,
  LIST_OK: 0x83,
  REFERENCED_OK: 0x85,
  ERROR: 0xFF
} as const

export type RefFrameType = typeof RefFrameType[keyof typeof RefFrameType]

const TYPES = new Set<number>(Object.values(RefFrameType))

export function isRefRequestType (type: number): boolean {
  return type >= RefFrameType.PUT && type <= RefFrameType.REFERENCED
}

export interface RefFrame {
  readonly type: RefFrameType
  readonly requestId: number
  readonly body: Uint8Array
}

/** the longest varint of a frame length we accept (5 bytes: 2^35) */
const MAX_LENGTH_VARINT_BYTES = 5
/** the longest request id varint (32 bits) */
const MAX_ID_VARINT_BYTES = 5

function varintBytes (value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    n++
  }
  return n
}

function putVarint (buf: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    buf[offset++] = (value % 0x80) | 0x80
    value = Math.floor(value / 0x80)
  }
  buf[offset++] = value
  return offset
}

/** One frame as bytes ready for the transport. */
export function encodeRefFrame (type: RefFrameType, requestId: number, body: Uint8Array): Uint8Array {
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > MAX_REF_REQUEST_ID) throw new RangeError(`request id out of range: ${requestId}`)
  const length = 1 + varintBytes(requestId) + body.byteLength
  const buf = new Uint8Array(varintBytes(length) + length)
  let at = putVarint(buf, 0, length)
  buf[at++] = type
  at = putVarint(buf, at, requestId)
  buf.set(body, at)
  return buf
}

/**
 * Incremental decoder. Bytes are pushed as they arrive; a frame's length is
 * checked against `maxFrameBytes` before its buffer is allocated, and the
 * buffer is exactly that size (no regrowing).
 */
export class RefFrameDecoder {
  private lengthValue = 0
  private lengthScale = 1
  private lengthBytes = 0
  private body?: Uint8Array
  private filled = 0
  private readonly frames: RefFrame[] = []

  constructor (private readonly maxFrameBytes: number) {}

  /** True while part of a frame has arrived and the rest has not. */
  get partial (): boolean {
    return this.lengthBytes > 0 || this.body != null
  }

  /** Feeds bytes; throws FrameTooLargeError or ProtocolError on a malformed stream. */
  push (chunk: Uint8Array): void {
    let at = 0
    while (at < chunk.byteLength) {
      if (this.body == null) {
        const b = chunk[at++] as number
        this.lengthValue += (b & 0x7f) * this.lengthScale
        this.lengthScale *= 0x80
        this.lengthBytes++
        if ((b & 0x80) !== 0) {
          if (this.lengthBytes >= MAX_LENGTH_VARINT_BYTES) throw new ProtocolError('frame length varint is too long')
          continue
        }
        const length = this.lengthValue
        this.lengthValue = 0
        this.lengthScale = 1
        this.lengthBytes = 0
        if (length > this.maxFrameBytes) throw new FrameTooLargeError(`frame of ${length} bytes exceeds ${this.maxFrameBytes}`)
        if (length < 2) throw new ProtocolError(`frame of ${length} bytes is too short`)
        this.body = new Uint8Array(length)
        this.filled = 0
        continue
      }
      const take = Math.min(this.body.byteLength - this.filled, chunk.byteLength - at)
      this.body.set(chunk.subarray(at, at + take), this.filled)
      this.filled += take
      at += take
      if (this.filled === this.body.byteLength) {
        const bytes = this.body
        this.body = undefined
        this.frames.push(parseFrame(bytes))
      }
    }
  }

  /** Frames decoded so far, in order (each returned once). */
  take (): RefFrame[] {
    return this.frames.splice(0, this.frames.length)
  }
}

function parseFrame (bytes: Uint8Array): RefFrame {
  const type = bytes[0] as number
  if (!TYPES.has(type)) throw new ProtocolError(`unknown ref frame type 0x${type.toString(16)}`)
  let requestId = 0
  let scale = 1
  let at = 1
  for (;;) {
    const b = bytes[at++]
    if (b === undefined) throw new ProtocolError('truncated request id')
    requestId += (b & 0x7f) * scale
    if ((b & 0x80) === 0) break
    scale *= 0x80
    if (at - 1 >= MAX_ID_VARINT_BYTES) throw new ProtocolError('request id varint is too long')
  }
  if (requestId > MAX_REF_REQUEST_ID) throw new ProtocolError(`request id ${requestId} is out of range`)
  return { type: type as RefFrameType, requestId, body: bytes.subarray(at) }
}
