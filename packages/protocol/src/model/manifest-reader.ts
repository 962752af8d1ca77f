/**
 * Walks a manifest tree lazily. A range read descends only into the children
 * that overlap the range, so reading the last MiB of a 100 GiB object reads
 * the root and one leaf; a full read visits every node once, in order.
 */
import { InvalidManifestError, InvalidRangeError } from './errors.js'
import { EtagHasher, formatEtag } from './etag.js'
import { decodeManifestNode } from './manifest.js'
import type { ChunkEntry } from './blocks.js'
import type { ManifestChild, ManifestNode, ObjectInfo } from './manifest.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface ManifestReaderInit {
  /**
   * fetches a manifest node by id. The bytes must already be verified
   * against `cid` (the chunk fetch path does that for every chunk); the
   * reader checks structure, not hashes. Wrap it in a cache by id: nodes are
   * immutable.
   */
  readChunk: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>
}

/** One chunk of an object and the part of it a read needs. */
export interface ChunkSlice extends ChunkEntry {
  /** offset of the chunk's first byte within the object */
  readonly offset: number
  /** bytes of the chunk the read needs: [start, end), 0 < end - start <= size */
  readonly start: number
  readonly end: number
}

export class ManifestReader {
  readonly root: ManifestNode
  readonly info: ObjectInfo
  private readonly readChunk: ManifestReaderInit['readChunk']

  /** Fetches and decodes the root node `cid`. */
  static async open (cid: CID, init: ManifestReaderInit, options: AbortOptions = {}): Promise<ManifestReader> {
    return new ManifestReader(decodeManifestNode(await init.readChunk(cid, options)), init)
  }

  /** Wraps an already decoded root (e.g. from a manifest cache). */
  constructor (root: ManifestNode, init: ManifestReaderInit) {
    if (root.info === undefined) throw new InvalidManifestError('invalid manifest: node is not a root')
    this.root = root
    this.info = root.info
    this.readChunk = init.readChunk
  }

  /**
   * The chunks covering bytes [offset, offset + length) of the object, in
   * order, each with the part of it needed. `length` is clipped at the end of
   * the object (like an HTTP range); throws `InvalidRangeError` when `offset`
   * is past the end or either number is negative or not an integer.
   */
  async * range (offset: number, length: number, options: AbortOptions = {}): AsyncGenerator<ChunkSlice> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset > this.info.size) {
      throw new InvalidRangeError(`range of ${length} bytes at ${offset} is not within an object of ${this.info.size} bytes`)
    }
    const end = Math.min(offset + length, this.info.size)
    if (end === offset) return
    yield * this.walk(this.root, 0, offset, end, options)
  }

  /** `range()` collected into an array. */
  async resolveRange (offset: number, length: number, options: AbortOptions = {}): Promise<ChunkSlice[]> {
    const out: ChunkSlice[] = []
    for await (const slice of this.range(offset, length, options)) out.push(slice)
    return out
  }

  /**
   * Every chunk of the object in order (whole chunks). After the last one it
   * checks the chunk ids against the ETag and throws `InvalidManifestError`
   * if the tree does not match its root.
   */
  async * chunks (options: AbortOptions = {}): AsyncGenerator<ChunkSlice> {
    const etag = new EtagHasher()
    let count = 0
    if (this.info.size > 0) {
      for await (const slice of this.walk(this.root, 0, 0, this.info.size, options)) {
        etag.update(slice.cid.multihash.digest)
        count++
        yield slice
      }
    }
    if (formatEtag(etag.digest(), count) !== this.info.etag) {
      throw new InvalidManifestError('invalid manifest: chunk ids do not match the ETag')
    }
  }

  private async * walk (node: ManifestNode, nodeOffset: number, lo: number, hi: number, options: AbortOptions): AsyncGenerator<ChunkSlice> {
    options.signal?.throwIfAborted()
    let at = nodeOffset
    if (node.kind === 'leaf') {
      for (const entry of node.entries) {
        const next = at + entry.size
        if (next > lo) {
          if (at >= hi) return
          yield { ...entry, offset: at, start: Math.max(lo - at, 0), end: Math.min(hi - at, entry.size) }
        }
        at = next
      }
      return
    }
    for (const child of node.children) {
      const next = at + child.size
      if (next > lo) {
        if (at >= hi) return
        const childNode = await this.child(node, child, options)
        yield * this.walk(childNode, at, lo, hi, options)
      }
      at = next
    }
  }

  private async child (parent: ManifestNode, child: ManifestChild, options: AbortOptions): Promise<ManifestNode> {
    const node = decodeManifestNode(await this.readChunk(child.cid, options))
    const where = `child ${child.cid.toString()}`
    if (node.info !== undefined) throw new InvalidManifestError(`invalid manifest: ${where} is a root`)
    if (node.height !== parent.height - 1) throw new InvalidManifestError(`invalid manifest: ${where} has height ${node.height}, expected ${parent.height - 1}`)
    if (node.blockSize !== parent.blockSize) throw new InvalidManifestError(`invalid manifest: ${where} has a different block size`)
    if (node.size !== child.size || node.chunkCount !== child.chunkCount) {
      throw new InvalidManifestError(`invalid manifest: ${where} covers ${node.size} bytes in ${node.chunkCount} chunks, parent says ${child.size} in ${child.chunkCount}`)
    }
    return node
  }
}

