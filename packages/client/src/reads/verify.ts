/**
 * Block verification as bytes arrive: the fetched range of a chunk is hashed
 * block by block over the pieces the transport delivers, without first
 * joining them into one buffer (`verifyBlockRead` of @weft/protocol does the
 * same on a contiguous buffer). Nothing is handed on until every block of
 * the fetch has matched.
 */
import { createHash } from 'node:crypto'
import { HashMismatchError } from '@weft/protocol'
import type { Hash } from 'node:crypto'
import type { BlockReadPlan } from '@weft/protocol'

export class BlockVerifier {
  private readonly plan: BlockReadPlan
  private readonly expected: number
  private readonly parts: Uint8Array[] = []
  private hash: Hash = createHash('sha256')
  private inBlock = 0
  private block = 0
  private received = 0

  constructor (plan: BlockReadPlan) {
    this.plan = plan
    this.expected = plan.fetchEnd - plan.fetchStart
  }

  get bytesReceived (): number {
    return this.received
  }

  /** Takes the next piece of the fetched range; throws `HashMismatchError` on too many bytes or a bad block. */
  update (buf: Uint8Array): void {
    if (this.received + buf.byteLength > this.expected) {
      throw new HashMismatchError(`peer sent more than the ${this.expected} bytes asked for`)
    }
    this.parts.push(buf)
    let at = 0
    while (at < buf.byteLength) {
      const take = Math.min(this.plan.blockSize - this.inBlock, buf.byteLength - at)
      this.hash.update(buf.subarray(at, at + take))
      at += take
      this.inBlock += take
      this.received += take
      if (this.inBlock === this.plan.blockSize || this.received === this.expected) this.closeBlock()
    }
  }

  /** The asked-for bytes (views of the received pieces), once every block has matched. */
  finish (): Uint8Array[] {
    if (this.received !== this.expected) {
      throw new HashMismatchError(`peer sent ${this.received} of the ${this.expected} bytes asked for`)
    }
    return sliceParts(this.parts, this.plan.sliceStart, this.plan.sliceEnd)
  }

  private closeBlock (): void {
    const want = this.plan.hashes[this.block]
    const got = this.hash.digest()
    if (want === undefined || !got.equals(want)) {
      throw new HashMismatchError(`block ${this.plan.firstBlock + this.block} does not match its hash`)
    }
    this.block++
    this.inBlock = 0
    this.hash = createHash('sha256')
  }
}

/** Bytes [start, end) of the concatenation of `parts`, as views. */
export function sliceParts (parts: readonly Uint8Array[], start: number, end: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let at = 0
  for (const p of parts) {
    const from = Math.max(start - at, 0)
    const to = Math.min(end - at, p.byteLength)
    if (to > from) out.push(from === 0 && to === p.byteLength ? p : p.subarray(from, to))
    at += p.byteLength
    if (at >= end) break
  }
  return out
}
