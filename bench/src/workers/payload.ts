/**
 * The bytes every comparison moves, generated the same way in every process
 * (weft client, Helia provider, local-files baseline) so each system stores
 * and serves identical payloads. Every MiB of a large payload and every small
 * sample differs from all others, so neither weft's content-addressed chunks
 * nor Helia's blocks can deduplicate them.
 */

export const MiB = 1024 * 1024

/** Pieces a streamed payload is produced in (what a reader of a file would hand over). */
export const PIECE_BYTES = MiB

let base: Uint8Array | undefined

function baseBlock (): Uint8Array {
  if (base == null) {
    base = new Uint8Array(PIECE_BYTES)
    for (let i = 0; i < base.length; i++) base[i] = (i * 2654435761) >>> 24
  }
  return base
}

/** `size` bytes in 1 MiB pieces, each stamped with its index; never the whole payload in memory. */
export function * largePayload (size: number): Generator<Uint8Array> {
  const block = baseBlock()
  for (let at = 0, n = 0; at < size; at += PIECE_BYTES, n++) {
    // slice copies with memcpy; the client may keep a piece, so each is its own buffer
    const piece = block.slice(0, Math.min(PIECE_BYTES, size - at))
    if (piece.byteLength >= 8) {
      const view = new DataView(piece.buffer)
      view.setUint32(0, n)
      view.setUint32(4, size >>> 0)
    }
    yield piece
  }
}

/** Sample `index` of `size` bytes: xorshift32 output seeded by the index, so samples differ. */
export function sampleBytes (index: number, size: number): Uint8Array {
  const out = new Uint8Array(size)
  const words = new Uint32Array(out.buffer, 0, size >>> 2)
  let x = (index * 0x9E3779B1 + 0x85EBCA6B) >>> 0
  if (x === 0) x = 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    words[i] = x
  }
  for (let i = words.length * 4; i < size; i++) out[i] = index & 0xff
  return out
}

/** Object key of sample `index` (zero-padded, so listings sort in order). */
export function sampleKey (prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(6, '0')}`
}
