/**
 * Unsigned LEB128 varints for safe integers (up to 2^53 - 1), the same wire
 * form as protobuf and multiformats. Arithmetic, not bit operations, so values
 * above 2^31 survive.
 */
import { MalformedMemberMessageError } from './errors.js'

const MAX_VARINT_BYTES = 8 // 8 * 7 = 56 bits >= 53

export function varintLength (value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    n++
  }
  return n
}

export function writeVarint (value: number, buf: Uint8Array, offset: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as a varint`)
  while (value >= 0x80) {
    buf[offset++] = (value % 0x80) | 0x80
    value = Math.floor(value / 0x80)
  }
  buf[offset++] = value
  return offset
}

/** Reads a varint at `offset`; returns [value, next offset]. Throws MalformedMemberMessageError. */
export function readVarint (buf: Uint8Array, offset: number): [number, number] {
  const result = peekVarint(buf, offset)
  if (result === undefined) throw new MalformedMemberMessageError('truncated varint')
  return result
}

/** Like readVarint, but undefined when the buffer ends before the varint does. */
export function peekVarint (buf: Uint8Array, offset: number): [number, number] | undefined {
  let value = 0
  let scale = 1
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const b = buf[offset + i]
    if (b === undefined) return undefined
    value += (b & 0x7f) * scale
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) throw new MalformedMemberMessageError('varint exceeds 2^53')
      return [value, offset + i + 1]
    }
    scale *= 0x80
  }
  throw new MalformedMemberMessageError('varint too long')
}
