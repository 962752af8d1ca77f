import { crc32 } from 'node:zlib'

/**
 * Per-block CRC32s over a chunk, kept in the index beside its size. The
 * chunk's sha2-256 proves a whole chunk; these let a range read check just the
 * blocks it touches (DESIGN section 7: every byte handed out is verified).
 * CRC32 is enough here: the bytes were proven by sha2-256 when stored, so
 * what is left to catch is bit rot and stray writes, not an adversary.
 */
export class BlockChecksummer {
  private readonly blockSize: number
  private readonly crcs: number[] = []
  private current = 0
  private filled = 0

  constructor (blockSize: number) {
    this.blockSize = blockSize
  }

  update (data: Uint8Array): void {
    let at = 0
    while (at < data.byteLength) {
      const take = Math.min(this.blockSize - this.filled, data.byteLength - at)
      this.current = crc32(data.subarray(at, at + take), this.current)
      this.filled += take
      at += take
      if (this.filled === this.blockSize) {
        this.crcs.push(this.current)
        this.current = 0
        this.filled = 0
      }
    }
  }

  /** the CRC of every block, the last one possibly short; none for an empty chunk */
  digest (): number[] {
    return this.filled > 0 ? [...this.crcs, this.current] : [...this.crcs]
  }
}

/** CRCs as big-endian uint32s in base64: compact in the JSON index entry */
export function encodeCrcs (crcs: number[]): string {
  const buf = Buffer.alloc(crcs.length * 4)
  crcs.forEach((c, i) => buf.writeUInt32BE(c, i * 4))
  return buf.toString('base64')
}

export function decodeCrcs (encoded: string): number[] {
  const buf = Buffer.from(encoded, 'base64')
  const crcs: number[] = []
  for (let i = 0; i + 4 <= buf.byteLength; i += 4) {
    crcs.push(buf.readUInt32BE(i))
  }
  return crcs
}

/** CRC32 of one whole block */
export function blockCrc (data: Uint8Array): number {
  return crc32(data)
}
