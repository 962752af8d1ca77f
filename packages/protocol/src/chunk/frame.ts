import {
  FRAME_HEADER_LENGTH, FRAME_MAGIC, FRAME_VERSION, MAX_FRAME_PAYLOAD, MAX_META_LENGTH
} from './constants.js'
import { FrameTooLargeError, ProtocolError, UnsupportedVersionError } from './errors.js'
import type { FrameAllocator } from './frame-pool.js'

/**
 * Frame types. Requests go client -> server, responses server -> client, DATA
 * carries the rest of a message body in either direction.
 */
export const FrameType = {
  PUT: 0x01,
  GET: 0x02,
  HAS: 0x03,
  STAT: 0x04,
  DELETE: 0x05,
  CANCEL: 0x0F,
  DATA: 0x10,
  PUT_OK: 0x81,
  GET_OK: 0x82,
  HAS_OK: 0x83,
  STAT_OK: 0x84,
  DELETE_OK: 0x85,
  ERROR: 0xFF
} as const

export type FrameType = typeof FrameType[keyof typeof FrameType]

/** Flag bits of the header's flags byte; every other bit must be zero. */
export const FrameFlags = {
  /** The last frame of its message: no DATA frame follows for this request id. */
  END: 0x01
} as const

export interface Frame {
  type: FrameType
  flags: number
  requestId: number
  meta: Uint8Array
  payload: Uint8Array
}

interface TypeRule {
  /** The frame is a whole message: END must be set */
  single: boolean
  /** The frame may carry meta */
  meta: boolean
  /** The frame may carry payload */
  payload: boolean
}

const RULES = new Map<number, TypeRule>([
  [FrameType.PUT, { single: false, meta: true, payload: true }],
  [FrameType.GET, { single: true, meta: true, payload: false }],
  [FrameType.HAS, { single: true, meta: true, payload: true }],
  [FrameType.STAT, { single: true, meta: true, payload: false }],
  [FrameType.DELETE, { single: true, meta: true, payload: false }],
  [FrameType.CANCEL, { single: true, meta: false, payload: false }],
  [FrameType.DATA, { single: false, meta: false, payload: true }],
  [FrameType.PUT_OK, { single: true, meta: true, payload: false }],
  [FrameType.GET_OK, { single: false, meta: true, payload: true }],
  [FrameType.HAS_OK, { single: true, meta: true, payload: false }],
  [FrameType.STAT_OK, { single: true, meta: true, payload: false }],
  [FrameType.DELETE_OK, { single: true, meta: true, payload: false }],
  [FrameType.ERROR, { single: true, meta: true, payload: false }]
])

/** Whether `type` opens a request (client -> server). */
export function isRequestType (type: number): boolean {
  return type >= FrameType.PUT && type <= FrameType.DELETE
}

/** Whether `type` opens a response (server -> client). */
export function isResponseType (type: number): boolean {
  return type >= FrameType.PUT_OK
}

interface Header {
  type: FrameType
  flags: number
  requestId: number
  metaLength: number
  payloadLength: number
}

/**
 * Check a header against the protocol's rules. Throws the typed error a peer
 * gets for it; every length is checked here, before anything is allocated.
 */
function checkHeader (h: Header): void {
  const rule = RULES.get(h.type)
  if (rule == null) {
    throw new ProtocolError(`unknown frame type 0x${h.type.toString(16)}`)
  }
  if ((h.flags & ~FrameFlags.END) !== 0) {
    throw new ProtocolError(`unknown flags 0x${h.flags.toString(16)}`)
  }
  if (h.metaLength > MAX_META_LENGTH) {
    throw new FrameTooLargeError(`meta of ${h.metaLength} bytes exceeds ${MAX_META_LENGTH}`)
  }
  if (h.payloadLength > MAX_FRAME_PAYLOAD) {
    throw new FrameTooLargeError(`payload of ${h.payloadLength} bytes exceeds ${MAX_FRAME_PAYLOAD}`)
  }
  if (rule.single && (h.flags & FrameFlags.END) === 0) {
    throw new ProtocolError(`frame type 0x${h.type.toString(16)} must carry END`)
  }
  if (!rule.meta && h.metaLength > 0) {
    throw new ProtocolError(`frame type 0x${h.type.toString(16)} carries no meta`)
  }
  if (!rule.payload && h.payloadLength > 0) {
    throw new ProtocolError(`frame type 0x${h.type.toString(16)} carries no payload`)
  }
  // an empty DATA frame that does not end its message does nothing but cost a
  // wakeup: refuse it so a peer cannot spin a session with them
  if (h.type === FrameType.DATA && h.payloadLength === 0 && (h.flags & FrameFlags.END) === 0) {
    throw new ProtocolError('empty DATA frame without END')
  }
}

/**
 * Encode a frame's header and meta into one buffer. The payload (whose length
 * the header announces) is written after it by the caller, uncopied.
 */
export function encodeFrameHead (type: FrameType, flags: number, requestId: number, meta: Uint8Array, payloadLength: number): Uint8Array {
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > 0xFFFFFFFF) {
    throw new RangeError(`invalid request id ${requestId}`)
  }
  checkHeader({ type, flags, requestId, metaLength: meta.byteLength, payloadLength })
  const buf = new Uint8Array(FRAME_HEADER_LENGTH + meta.byteLength)
  const view = new DataView(buf.buffer)
  buf[0] = FRAME_MAGIC
  buf[1] = FRAME_VERSION
  buf[2] = type
  buf[3] = flags
  view.setUint32(4, requestId)
  view.setUint16(8, meta.byteLength)
  view.setUint16(10, 0)
  view.setUint32(12, payloadLength)
  buf.set(meta, FRAME_HEADER_LENGTH)
  return buf
}

/** Encode a whole frame into one buffer (tests, small frames). */
export function encodeFrame (frame: Frame): Uint8Array {
  const head = encodeFrameHead(frame.type, frame.flags, frame.requestId, frame.meta, frame.payload.byteLength)
  const out = new Uint8Array(head.byteLength + frame.payload.byteLength)
  out.set(head, 0)
  out.set(frame.payload, head.byteLength)
  return out
}

/**
 * Turns byte slices, cut anywhere, into frames. A bad header throws before
 * its lengths are used; after an error the decoder refuses further input.
 *
 * Memory: a frame that arrives whole inside one slice is returned as views of
 * that slice (no copy). A frame that arrives in pieces is copied into one
 * buffer of its checked size as the pieces come, so a peer dribbling single
 * bytes costs one bounded buffer, not a list of tiny slices.
 */
export class FrameDecoder {
  private readonly chunks: Uint8Array[] = []
  private buffered = 0
  private header?: Header
  private fill?: Uint8Array
  private filled = 0
  private failed?: Error

  /** Bytes of an incomplete frame held (0 when the decoder sits on a frame boundary). */
  get bufferedBytes (): number {
    return this.buffered + this.filled + (this.header != null ? FRAME_HEADER_LENGTH : 0)
  }

  push (bytes: Uint8Array): Frame[] {
    if (this.failed != null) {
      throw this.failed
    }
    if (bytes.byteLength > 0) {
      this.chunks.push(bytes)
      this.buffered += bytes.byteLength
    }
    const frames: Frame[] = []
    try {
      for (;;) {
        if (this.header == null) {
          this.checkPrefix()
          if (this.buffered < FRAME_HEADER_LENGTH) {
            break
          }
          this.header = this.readHeader(this.take(FRAME_HEADER_LENGTH))
        }
        const h = this.header
        const need = h.metaLength + h.payloadLength
        let body: Uint8Array
        if (this.fill != null) {
          const n = Math.min(need - this.filled, this.buffered)
          this.copyInto(this.fill, this.filled, n)
          this.filled += n
          if (this.filled < need) {
            break
          }
          body = this.fill
          this.fill = undefined
          this.filled = 0
        } else if (this.buffered >= need) {
          body = this.take(need)
        } else {
          this.fill = new Uint8Array(need)
          this.filled = this.buffered
          this.copyInto(this.fill, 0, this.buffered)
          break
        }
        this.header = undefined
        frames.push({
          type: h.type,
          flags: h.flags,
          requestId: h.requestId,
          meta: body.subarray(0, h.metaLength),
          payload: body.subarray(h.metaLength)
        })
      }
    } catch (err) {
      this.failed = err as Error
      this.chunks.length = 0
      this.buffered = 0
      this.fill = undefined
      throw err
    }
    return frames
  }

  /** Reject garbage and other versions as soon as their first bytes arrive. */
  private checkPrefix (): void {
    const first = this.chunks[0]
    if (first == null) {
      return
    }
    if (first[0] !== FRAME_MAGIC) {
      throw new ProtocolError('bad frame magic')
    }
    const version = first.byteLength > 1 ? first[1] : this.chunks[1]?.[0]
    if (version != null && version !== FRAME_VERSION) {
      throw new UnsupportedVersionError(`frame version ${version} is not supported (this peer speaks ${FRAME_VERSION})`)
    }
  }

  private readHeader (buf: Uint8Array): Header {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    if (view.getUint16(10) !== 0) {
      throw new ProtocolError('reserved header bytes are not zero')
    }
    const header: Header = {
      type: view.getUint8(2) as FrameType,
      flags: view.getUint8(3),
      requestId: view.getUint32(4),
      metaLength: view.getUint16(8),
      payloadLength: view.getUint32(12)
    }
    checkHeader(header)
    return header
  }

  /** Remove `n` buffered bytes (n <= buffered); a view when they lie in one slice. */
  private take (n: number): Uint8Array {
    const first = this.chunks[0]
    if (n === 0 || first == null) {
      return new Uint8Array(0)
    }
    if (first.byteLength >= n) {
      const out = first.subarray(0, n)
      if (first.byteLength === n) {
        this.chunks.shift()
      } else {
        this.chunks[0] = first.subarray(n)
      }
      this.buffered -= n
      return out
    }
    const out = new Uint8Array(n)
    this.copyInto(out, 0, n)
    return out
  }

  /** Move `n` buffered bytes (n <= buffered) into `target` at `offset`. */
  private copyInto (target: Uint8Array, offset: number, n: number): void {
    let done = 0
    while (done < n) {
      const chunk = this.chunks[0]!
      const want = Math.min(n - done, chunk.byteLength)
      target.set(want === chunk.byteLength ? chunk : chunk.subarray(0, want), offset + done)
      done += want
      if (want === chunk.byteLength) {
        this.chunks.shift()
      } else {
        this.chunks[0] = chunk.subarray(want)
      }
    }
    this.buffered -= n
  }
}

/**
 * Copies bytes that are only lent (a socket's reused read buffer) into
 * buffers cut at frame boundaries: each buffer it emits holds exactly one
 * frame, which a FrameDecoder then takes as views, so every byte is copied
 * once. The lengths come from the header and are checked against the limits
 * before the frame's buffer is allocated; from a header that fails the check
 * on, bytes are passed on as copies for the decoder to reject.
 */
export class FrameCopier {
  /** where a frame's buffer comes from (the session's requests may bring their own); unset allocates one */
  allocator?: FrameAllocator
  private readonly header = new Uint8Array(FRAME_HEADER_LENGTH)
  private headerFilled = 0
  private frame?: Uint8Array
  private filled = 0
  private raw = false

  /** Bytes of an incomplete frame held. */
  get bufferedBytes (): number {
    return this.headerFilled + this.filled
  }

  /** Copy `bytes` (valid only during the call); `emit` gets each frame (or raw copy) as it completes. */
  push (bytes: Uint8Array, emit: (owned: Uint8Array) => void): void {
    let at = 0
    while (at < bytes.byteLength) {
      if (this.raw) {
        emit(bytes.slice(at))
        return
      }
      let frame = this.frame
      if (frame == null) {
        const take = Math.min(FRAME_HEADER_LENGTH - this.headerFilled, bytes.byteLength - at)
        this.header.set(bytes.subarray(at, at + take), this.headerFilled)
        this.headerFilled += take
        at += take
        if (this.headerFilled < FRAME_HEADER_LENGTH) {
          return
        }
        this.headerFilled = 0
        const h = this.header
        const metaLength = (h[8]! << 8) | h[9]!
        const payloadLength = ((h[12]! << 24) | (h[13]! << 16) | (h[14]! << 8) | h[15]!) >>> 0
        if (h[0] !== FRAME_MAGIC || metaLength > MAX_META_LENGTH || payloadLength > MAX_FRAME_PAYLOAD) {
          this.raw = true
          emit(h.slice())
          continue
        }
        const length = FRAME_HEADER_LENGTH + metaLength + payloadLength
        const requestId = ((h[4]! << 24) | (h[5]! << 16) | (h[6]! << 8) | h[7]!) >>> 0
        const given = this.allocator?.(requestId, length)
        // allocUnsafe: every byte is written before the frame is emitted
        frame = given?.byteLength === length ? given : Buffer.allocUnsafe(length)
        frame.set(h, 0)
        this.filled = FRAME_HEADER_LENGTH
        this.frame = frame
      }
      const take = Math.min(frame.byteLength - this.filled, bytes.byteLength - at)
      if (take > 0) {
        frame.set(bytes.subarray(at, at + take), this.filled)
        this.filled += take
        at += take
      }
      if (this.filled === frame.byteLength) {
        this.frame = undefined
        this.filled = 0
        emit(frame)
      }
    }
  }
}
