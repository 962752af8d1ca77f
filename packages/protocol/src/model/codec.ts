/**
 * Internal byte codec for the model's binary formats: unsigned LEB128 varints
 * (minimal form only, at most 2^53 - 1), length-prefixed UTF-8 strings and raw
 * byte runs. The reader is strict: every length is checked against what is
 * left *before* anything is allocated or sliced, non-minimal varints are
 * rejected (so each value has exactly one encoding, which matters for
 * content-addressed manifests), and decoding fails through a caller-given
 * error factory so each format throws its own typed error.
 */

const utf8Encoder = new TextEncoder()
// fatal: reject invalid UTF-8; ignoreBOM: a leading U+FEFF is data, not a mark
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** the most bytes a varint of a safe integer needs (53 bits / 7) */
const MAX_VARINT_BYTES = 8

export function utf8Bytes (s: string): Uint8Array {
  return utf8Encoder.encode(s)
}

export function varintLength (value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    n++
  }
  return n
}

/** A growable output buffer. */
export class ByteWriter {
  private buf: Uint8Array
  private pos = 0

  constructor (initialSize = 256) {
    this.buf = new Uint8Array(initialSize)
  }

  get length (): number {
    return this.pos
  }

  private ensure (n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  byte (b: number): this {
    this.ensure(1)
    this.buf[this.pos++] = b
    return this
  }

  varint (value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`)
    this.ensure(MAX_VARINT_BYTES)
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    this.buf[this.pos++] = value
    return this
  }

  bytes (b: Uint8Array): this {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
    return this
  }

  /** varint length then UTF-8 bytes */
  string (s: string): this {
    const b = utf8Bytes(s)
    return this.varint(b.length).bytes(b)
  }

  finish (): Uint8Array {
    return this.buf.slice(0, this.pos)
  }
}

/** A strict, bounds-checked reader over one buffer. */
export class ByteReader {
  private pos = 0

  constructor (private readonly buf: Uint8Array, private readonly fail: (message: string) => Error) {}

  get remaining (): number {
    return this.buf.length - this.pos
  }

  get offset (): number {
    return this.pos
  }

  byte (what: string): number {
    const b = this.buf[this.pos]
    if (b === undefined) throw this.fail(`truncated: expected ${what} at byte ${this.pos}`)
    this.pos++
    return b
  }

  varint (what: string, max = Number.MAX_SAFE_INTEGER, min = 0): number {
    const start = this.pos
    let value = 0
    let scale = 1
    for (let i = 0; ; i++) {
      if (i >= MAX_VARINT_BYTES) throw this.fail(`${what}: varint longer than ${MAX_VARINT_BYTES} bytes at byte ${start}`)
      const b = this.byte(what)
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw this.fail(`${what}: non-minimal varint at byte ${start}`)
        break
      }
      scale *= 0x80
    }
    if (!Number.isSafeInteger(value)) throw this.fail(`${what}: varint exceeds 2^53 - 1 at byte ${start}`)
    if (value > max || value < min) throw this.fail(`${what}: ${value} is outside ${min}..${max}`)
    return value
  }

  /** a view of the next `n` bytes (not a copy) */
  bytes (n: number, what: string): Uint8Array {
    if (n > this.remaining) throw this.fail(`truncated: ${what} needs ${n} bytes, ${this.remaining} left`)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /** a varint length (at most `maxBytes`) then that many bytes of strict UTF-8 */
  string (what: string, maxBytes: number): string {
    const n = this.varint(`${what} length`, maxBytes)
    const b = this.bytes(n, what)
    try {
      return utf8Decoder.decode(b)
    } catch {
      throw this.fail(`${what} is not valid UTF-8`)
    }
  }

  end (what: string): void {
    if (this.remaining !== 0) throw this.fail(`${what}: ${this.remaining} trailing bytes`)
  }
}
