import { ProtocolError } from './errors.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * Builds a frame's meta section: big-endian integers and length-prefixed byte
 * strings, nothing else. Callers keep within MAX_META_LENGTH by construction
 * (every field they write is itself bounded).
 */
export class MetaWriter {
  private readonly parts: Uint8Array[] = []
  private length = 0

  u8 (n: number): this {
    return this.put(Uint8Array.of(n & 0xFF))
  }

  u16 (n: number): this {
    const b = new Uint8Array(2)
    new DataView(b.buffer).setUint16(0, n)
    return this.put(b)
  }

  u32 (n: number): this {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, n)
    return this.put(b)
  }

  f64 (n: number): this {
    const b = new Uint8Array(8)
    new DataView(b.buffer).setFloat64(0, n)
    return this.put(b)
  }

  /** Bytes prefixed by a u8 length. */
  bytes8 (b: Uint8Array): this {
    if (b.byteLength > 0xFF) {
      throw new RangeError(`field of ${b.byteLength} bytes does not fit a u8 length`)
    }
    return this.u8(b.byteLength).put(b)
  }

  /** UTF-8 text prefixed by a u16 length, cut to at most `max` bytes. */
  text16 (s: string, max: number): this {
    let b = encoder.encode(s)
    if (b.byteLength > max) {
      b = b.subarray(0, max)
    }
    return this.u16(b.byteLength).put(b)
  }

  /** UTF-8 text prefixed by a u8 length; must fit (codes are short ASCII). */
  text8 (s: string): this {
    return this.bytes8(encoder.encode(s))
  }

  finish (): Uint8Array {
    const out = new Uint8Array(this.length)
    let offset = 0
    for (const p of this.parts) {
      out.set(p, offset)
      offset += p.byteLength
    }
    return out
  }

  private put (b: Uint8Array): this {
    this.parts.push(b)
    this.length += b.byteLength
    return this
  }
}

/**
 * Reads a meta section. Every read is checked against what is left, so a
 * length field can never make it read (or allocate) past the section.
 */
export class MetaReader {
  private readonly view: DataView
  private offset = 0

  constructor (private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  u8 (): number {
    this.need(1)
    return this.view.getUint8(this.offset++)
  }

  u16 (): number {
    this.need(2)
    const n = this.view.getUint16(this.offset)
    this.offset += 2
    return n
  }

  u32 (): number {
    this.need(4)
    const n = this.view.getUint32(this.offset)
    this.offset += 4
    return n
  }

  f64 (): number {
    this.need(8)
    const n = this.view.getFloat64(this.offset)
    this.offset += 8
    return n
  }

  /** A u8-length-prefixed byte string of at most `max` bytes (a view, not a copy). */
  bytes8 (max: number, what: string): Uint8Array {
    const n = this.u8()
    if (n > max) {
      throw new ProtocolError(`${what} of ${n} bytes exceeds ${max}`)
    }
    return this.raw(n)
  }

  text8 (max: number, what: string): string {
    return decoder.decode(this.bytes8(max, what))
  }

  text16 (max: number, what: string): string {
    const n = this.u16()
    if (n > max) {
      throw new ProtocolError(`${what} of ${n} bytes exceeds ${max}`)
    }
    return decoder.decode(this.raw(n))
  }

  raw (n: number): Uint8Array {
    this.need(n)
    const out = this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  /** Whether unread bytes remain. */
  get remaining (): number {
    return this.buf.byteLength - this.offset
  }

  /** The section must be consumed exactly: trailing bytes are a protocol error. */
  end (): void {
    if (this.offset !== this.buf.byteLength) {
      throw new ProtocolError(`${this.buf.byteLength - this.offset} unexpected trailing meta bytes`)
    }
  }

  private need (n: number): void {
    if (this.offset + n > this.buf.byteLength) {
      throw new ProtocolError('meta section is truncated')
    }
  }
}
