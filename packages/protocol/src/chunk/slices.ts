import { SizeMismatchError } from './errors.js'

/** Pieces at least this big are sent as they are; smaller ones are gathered into one frame. */
const PASS_THROUGH = 64 * 1024

/**
 * Re-cut a body into frame payloads of at most `max` bytes whose total is
 * exactly `size`. Large pieces pass through uncopied (split if needed), small
 * ones are gathered so a source of tiny pieces does not become tiny frames.
 * Throws SizeMismatchError when the source ends short or runs past `size`.
 * It stops pulling once `size` bytes came, so it never waits on a source's end.
 */
export async function * exactSlices (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, max: number): AsyncGenerator<Uint8Array> {
  let seen = 0
  let pending: Uint8Array[] = []
  let pendingBytes = 0

  function gather (): Uint8Array {
    const out = new Uint8Array(pendingBytes)
    let offset = 0
    for (const p of pending) {
      out.set(p, offset)
      offset += p.byteLength
    }
    pending = []
    pendingBytes = 0
    return out
  }

  if (size === 0) {
    return
  }
  for await (const piece of source) {
    if (piece.byteLength === 0) {
      continue
    }
    seen += piece.byteLength
    if (seen > size) {
      throw new SizeMismatchError(`body is longer than its declared ${size} bytes`)
    }
    if (piece.byteLength >= PASS_THROUGH && pendingBytes === 0) {
      for (let offset = 0; offset < piece.byteLength; offset += max) {
        yield piece.subarray(offset, Math.min(offset + max, piece.byteLength))
      }
    } else {
      let rest = piece
      while (rest.byteLength > 0) {
        const take = Math.min(max - pendingBytes, rest.byteLength)
        pending.push(rest.subarray(0, take))
        pendingBytes += take
        rest = rest.subarray(take)
        if (pendingBytes === max) {
          yield gather()
        }
      }
    }
    if (seen === size) {
      break
    }
  }
  if (pendingBytes > 0) {
    yield gather()
  }
  if (seen < size) {
    throw new SizeMismatchError(`body ended after ${seen} of its declared ${size} bytes`)
  }
}
