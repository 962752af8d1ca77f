/**
 * One attempt to read (part of) one chunk from one replica, verified before
 * it resolves. A whole chunk is checked against its id by the chunk client
 * as it streams (so it is hashed once); a range is widened to block
 * boundaries and each block checked against the manifest's block hashes.
 */
import { HashMismatchError, MAX_CHUNK_SIZE } from '@weft/protocol'
import { BlockVerifier } from './verify.js'
import type { PeerId } from '@libp2p/interface'
import type { BlockReadPlan, ChunkClient, FrameBufferPool } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

/** What the read path needs of the chunk client. */
export type ChunkReader = Pick<ChunkClient, 'get'>

/** A read of one chunk: all of it, or the blocks of `plan`. */
export interface ChunkRead {
  readonly cid: CID
  /**
   * the chunk's size, as its manifest says; unknown for a manifest node
   * (then at most MAX_CHUNK_SIZE is accepted and the id alone checks it)
   */
  readonly size?: number
  /** a block-verified range instead of the whole chunk */
  readonly plan?: BlockReadPlan
  /**
   * receive into this pool's buffers (on the bulk channel): whoever takes the
   * verified parts gives each back when done with it
   */
  readonly buffers?: FrameBufferPool
}

/** What an unknown-size read (a manifest node) is assumed to cost, for the hedge delay and the read-ahead budget. */
const UNKNOWN_SIZE_GUESS = 64 * 1024

/** Bytes a read moves over the wire. */
export function wireBytes (read: ChunkRead): number {
  return read.plan === undefined ? read.size ?? UNKNOWN_SIZE_GUESS : read.plan.fetchEnd - read.plan.fetchStart
}

/** Bytes a read hands to the caller. */
export function resultBytes (read: ChunkRead): number {
  return read.plan === undefined ? read.size ?? UNKNOWN_SIZE_GUESS : read.plan.sliceEnd - read.plan.sliceStart
}

export interface FetchOptions {
  signal?: AbortSignal
  /** called once, when the first byte arrives */
  onFirstByte?: () => void
}

/**
 * Reads `read` from `peer`; resolves with the verified bytes (views of the
 * received pieces, in order). Throws `HashMismatchError` when the bytes do
 * not match, whatever the chunk client threw otherwise.
 */
export async function fetchChunk (chunks: ChunkReader, peer: PeerId, read: ChunkRead, options: FetchOptions = {}): Promise<Uint8Array[]> {
  const { plan } = read
  let first = true
  const seen = (): void => {
    if (first) {
      first = false
      options.onFirstByte?.()
    }
  }
  if (plan === undefined) {
    const parts: Uint8Array[] = []
    const limit = read.size ?? MAX_CHUNK_SIZE
    let received = 0
    // the chunk client hashes a whole-chunk read as it streams and throws at the end on a mismatch
    for await (const buf of chunks.get(peer, read.cid, { signal: options.signal, verify: true, buffers: read.buffers })) {
      seen()
      received += buf.byteLength
      if (received > limit) throw new HashMismatchError(`peer sent more than the ${limit} bytes of ${read.cid.toString()}`)
      parts.push(buf)
    }
    if (read.size !== undefined && received !== read.size) throw new HashMismatchError(`peer sent ${received} of the ${read.size} bytes of ${read.cid.toString()}`)
    seen()
    return parts
  }
  const verifier = new BlockVerifier(plan)
  const length = plan.fetchEnd - plan.fetchStart
  for await (const buf of chunks.get(peer, read.cid, { signal: options.signal, offset: plan.fetchStart, length, buffers: read.buffers })) {
    seen()
    verifier.update(buf)
  }
  return verifier.finish()
}
