/**
 * Cuts a byte stream into chunks of exactly `chunkSize` bytes (the last may
 * be shorter). A piece that holds a whole chunk at a chunk boundary is passed
 * on as a view, without copying; smaller pieces are gathered (as views) and
 * joined once when they make up a chunk. Memory is at most one chunk's worth
 * of pieces plus whatever the consumer still holds, whatever the stream's
 * size. The caller must not modify pieces it handed over until the put ends.
 */
export async function * chunker (source: AsyncIterable<Uint8Array>, chunkSize: number): AsyncGenerator<Uint8Array, void, undefined> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError('chunkSize must be a positive integer')
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  for await (const piece of source) {
    let at = 0
    while (at < piece.byteLength) {
      if (pendingBytes === 0 && piece.byteLength - at >= chunkSize) {
        yield piece.subarray(at, at + chunkSize)
        at += chunkSize
        continue
      }
      const take = Math.min(chunkSize - pendingBytes, piece.byteLength - at)
      pending.push(piece.subarray(at, at + take))
      pendingBytes += take
      at += take
      if (pendingBytes === chunkSize) {
        const full = join(pending, pendingBytes)
        pending = []
        pendingBytes = 0
        yield full
      }
    }
  }
  if (pendingBytes > 0) yield join(pending, pendingBytes)
}

function join (parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0]
  const out = Buffer.allocUnsafeSlow(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}
