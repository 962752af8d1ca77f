import { createHash } from 'node:crypto'
import { WeftError } from '../../src/errors.js'
import { collect } from './fixtures.js'
import type { ChunkHandler, ChunkRequestContext } from '../../src/chunk/server-session.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * A ChunkHandler over a Map, verifying hashes like a store would: enough to
 * exercise the sessions without a disk. Records what it saw for assertions.
 */
export class MemoryHandler implements ChunkHandler {
  readonly chunks = new Map<string, Uint8Array>()
  readonly aborted: string[] = []
  /** bytes handed to the session by get() bodies so far */
  produced = 0
  /** when set, get() bodies are cut into pieces of this size */
  pieceSize = 64 * 1024
  /** when set, handlers wait for it before answering */
  gate?: Promise<void>

  constructor (private readonly self?: PeerId) {}

  async put (req: { cid: CID, size: number }, body: AsyncIterable<Uint8Array>, ctx: ChunkRequestContext): Promise<{ stored: Array<{ peer: PeerId, existed: boolean }>, failed: [] }> {
    this.watch(ctx, 'put')
    const key = req.cid.toString()
    if (this.chunks.has(key)) {
      // answer without reading the body: the session must drop the rest
      return { stored: [{ peer: this.self!, existed: true }], failed: [] }
    }
    const bytes = await collect(body)
    await this.gate
    const digest = createHash('sha256').update(bytes).digest()
    if (!Buffer.from(req.cid.multihash.digest).equals(digest)) {
      throw new WeftError('bad hash', 'ERR_HASH_MISMATCH')
    }
    this.chunks.set(key, bytes)
    return { stored: [{ peer: this.self!, existed: false }], failed: [] }
  }

  async get (req: { cid: CID, offset: number, length?: number }, ctx: ChunkRequestContext): Promise<{ head: { size: number, offset: number, length: number }, data: AsyncIterable<Uint8Array> }> {
    this.watch(ctx, 'get')
    await this.gate
    const bytes = this.chunks.get(req.cid.toString())
    if (bytes == null) {
      throw new WeftError('no such chunk', 'ERR_CHUNK_NOT_FOUND')
    }
    const length = req.length ?? bytes.byteLength - req.offset
    if (req.offset + length > bytes.byteLength) {
      throw new WeftError('bad range', 'ERR_INVALID_RANGE')
    }
    const slice = bytes.subarray(req.offset, req.offset + length)
    return { head: { size: bytes.byteLength, offset: req.offset, length }, data: this.pieces(slice) }
  }

  private async * pieces (slice: Uint8Array): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < slice.byteLength; i += this.pieceSize) {
      const piece = slice.subarray(i, i + this.pieceSize)
      this.produced += piece.byteLength
      yield piece
    }
  }

  async has (cids: CID[], ctx: ChunkRequestContext): Promise<boolean[]> {
    this.watch(ctx, 'has')
    await this.gate
    return cids.map(c => this.chunks.has(c.toString()))
  }

  async stat (cid: CID): Promise<{ size: number, partition: number, storedAt: number } | undefined> {
    const bytes = this.chunks.get(cid.toString())
    return bytes == null ? undefined : { size: bytes.byteLength, partition: cid.multihash.digest[0]! << 8 | cid.multihash.digest[1]!, storedAt: 1 }
  }

  async delete (cid: CID): Promise<boolean> {
    return this.chunks.delete(cid.toString())
  }

  private watch (ctx: ChunkRequestContext, op: string): void {
    ctx.signal.addEventListener('abort', () => { this.aborted.push(op) }, { once: true })
  }
}
