/**
 * Streaming manifest builder. Chunk entries arrive one at a time as the
 * client cuts and stores chunks; full leaf nodes are written out as chunks
 * as soon as they fill, and each written node becomes an entry of the level
 * above (which is written when it fills, and so on). Memory is at most one
 * node per tree level, so a 1 PiB object costs the same few MiB as a 10 GiB one.
 */
import {
  DEFAULT_BLOCK_SIZE, DEFAULT_MANIFEST_NODE_SIZE, MAX_CHUNK_SIZE, MAX_MANIFEST_HEIGHT, MAX_MANIFEST_NODE_SIZE,
  MIN_MANIFEST_NODE_SIZE, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE
} from './constants.js'
import { varintLength } from './codec.js'
import { isChunkCid, SHA256_BYTES } from './cid.js'
import { blockHashesLength } from './blocks.js'
import { EtagHasher, formatEtag } from './etag.js'
import { validateVersion } from './hlc.js'
import {
  encodeIndexEntry, encodeLeafEntry, encodeNodeParts, encodeRootHeader, isPowerOfTwoBlockSize, NODE_PREFIX_BYTES
} from './manifest.js'
import { metadataEntries, validateContentType } from './metadata.js'
import type { ChunkEntry } from './blocks.js'
import type { Version } from './hlc.js'
import type { ObjectInfo } from './manifest.js'
import type { UserMetadata } from './metadata.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface ManifestBuilderInit {
  /**
   * stores one manifest node as a chunk and returns its id (a CIDv1 raw
   * sha2-256 of exactly these bytes)
   */
  writeChunk: (bytes: Uint8Array, options?: AbortOptions) => Promise<CID>
  /** the version of the put (from the writer's `HybridClock`) */
  version: Version
  contentType?: string
  metadata?: UserMetadata
  /**
   * verification block size (a power of two, 1 KiB..8 MiB); chunks of at
   * most one block carry no block hashes
   *
   * @default DEFAULT_BLOCK_SIZE (256 KiB)
   */
  blockSize?: number
  /**
   * largest encoded node; a manifest bigger than this becomes a tree
   *
   * @default DEFAULT_MANIFEST_NODE_SIZE (4 MiB)
   */
  maxNodeBytes?: number
}

/** What `finish()` produced. */
export interface ManifestResult {
  /** the root node's id: what a ref points to */
  readonly cid: CID
  /** the root node's bytes (already written; handy to cache) */
  readonly bytes: Uint8Array
  readonly info: ObjectInfo
  /** manifest nodes written, root included */
  readonly nodes: number
  /** height of the root (0: the manifest is one leaf) */
  readonly height: number
}

/** The largest encoded index entry (two 8-byte varints and a digest). */
const MAX_INDEX_ENTRY_BYTES = 8 + 8 + SHA256_BYTES

class Level {
  parts: Uint8Array[] = []
  bytes = 0
  size = 0
  chunkCount = 0

  constructor (readonly height: number) {}

  encodedSize (extraBytes = 0, extraCount = 0, headerBytes = 0): number {
    return NODE_PREFIX_BYTES + varintLength(this.height) + headerBytes + varintLength(this.parts.length + extraCount) + this.bytes + extraBytes
  }

  push (entry: Uint8Array, size: number, chunkCount: number): void {
    this.parts.push(entry)
    this.bytes += entry.length
    this.size += size
    this.chunkCount += chunkCount
  }
}

export class ManifestBuilder {
  private readonly writeChunk: ManifestBuilderInit['writeChunk']
  private readonly version: Version
  private readonly contentType?: string
  private readonly metadata: UserMetadata
  readonly blockSize: number
  readonly maxNodeBytes: number
  private readonly levels: Level[] = [new Level(0)]
  private readonly etag = new EtagHasher()
  private size = 0
  private chunkCount = 0
  private nodes = 0
  private busy = false
  private finished = false
  private failed = false

  constructor (init: ManifestBuilderInit) {
    this.writeChunk = init.writeChunk
    validateVersion(init.version)
    this.version = init.version
    if (init.contentType !== undefined && init.contentType !== '') {
      validateContentType(init.contentType)
      this.contentType = init.contentType
    }
    this.metadata = Object.fromEntries(metadataEntries(init.metadata ?? {}))
    this.blockSize = init.blockSize ?? DEFAULT_BLOCK_SIZE
    if (!isPowerOfTwoBlockSize(this.blockSize)) throw new RangeError(`blockSize must be a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE}`)
    this.maxNodeBytes = init.maxNodeBytes ?? DEFAULT_MANIFEST_NODE_SIZE
    if (!Number.isInteger(this.maxNodeBytes) || this.maxNodeBytes < MIN_MANIFEST_NODE_SIZE || this.maxNodeBytes > MAX_MANIFEST_NODE_SIZE) {
      throw new RangeError(`maxNodeBytes must be an integer from ${MIN_MANIFEST_NODE_SIZE} to ${MAX_MANIFEST_NODE_SIZE}`)
    }
    // finish() relies on a root index with one child always fitting; the
    // header's size and chunk-count varints grow by up to 7 bytes each
    const rootBound = NODE_PREFIX_BYTES + 1 + this.rootHeader().length + 2 * 7 + 1 + MAX_INDEX_ENTRY_BYTES
    if (rootBound > this.maxNodeBytes) {
      throw new RangeError(`maxNodeBytes ${this.maxNodeBytes} is too small for this object's metadata (needs ${rootBound})`)
    }
  }

  /** object bytes added so far */
  get bytesAdded (): number {
    return this.size
  }

  /**
   * Appends the next chunk of the object (in order). Await each call: a full
   * leaf is written out through `writeChunk` before this resolves.
   */
  async add (entry: ChunkEntry, options: AbortOptions = {}): Promise<void> {
    this.enter()
    try {
      options.signal?.throwIfAborted()
      if (!isChunkCid(entry.cid)) throw new TypeError('chunk id must be a CIDv1 raw sha2-256')
      if (!Number.isInteger(entry.size) || entry.size < 1 || entry.size > MAX_CHUNK_SIZE) {
        throw new RangeError(`chunk size must be 1..${MAX_CHUNK_SIZE}, got ${entry.size}`)
      }
      if (entry.blockHashes.length !== blockHashesLength(entry.size, this.blockSize)) {
        throw new RangeError(`a ${entry.size}-byte chunk needs ${blockHashesLength(entry.size, this.blockSize)} bytes of block hashes at block size ${this.blockSize}, got ${entry.blockHashes.length}`)
      }
      if (!Number.isSafeInteger(this.size + entry.size)) throw new RangeError('object too large')
      const encoded = encodeLeafEntry(entry)
      const leaf = this.levels[0] as Level
      if (leaf.encodedSize(encoded.length, 1) > this.maxNodeBytes) {
        if (leaf.parts.length === 0) throw new RangeError(`one chunk entry (${encoded.length} bytes) does not fit in a ${this.maxNodeBytes}-byte node`)
        try {
          await this.flush(0, options)
        } catch (err) {
          // a flush may stop between levels: the tree is no longer whole
          this.failed = true
          throw err
        }
      }
      ;(this.levels[0] as Level).push(encoded, entry.size, 1)
      this.etag.update(entry.cid.multihash.digest)
      this.size += entry.size
      this.chunkCount++
    } finally {
      this.busy = false
    }
  }

  /** Writes the remaining nodes and the root; the builder is done afterwards. */
  async finish (options: AbortOptions = {}): Promise<ManifestResult> {
    this.enter()
    try {
      const header = this.rootHeader(this.etag.digest())
      for (let h = 0; ; h++) {
        options.signal?.throwIfAborted()
        const level = this.levels[h] as Level
        const isTop = this.levels.slice(h + 1).every(l => l.parts.length === 0)
        if (!isTop) {
          if (level.parts.length > 0) await this.flush(h, options)
          continue
        }
        const kind = h === 0 ? 'leaf' : 'index'
        const bytes = encodeNodeParts(kind, h, this.blockSize, header, level.parts.length, level.parts)
        if (bytes.length <= this.maxNodeBytes) {
          const cid = await this.write(bytes, options)
          this.finished = true
          return { cid, bytes, info: this.info(), nodes: this.nodes, height: h }
        }
        // too big to be the root: write it as an inner node and root the level above.
        // The constructor checked that a root with one child fits, so this ends.
        await this.flush(h, options)
      }
    } catch (err) {
      this.failed = true
      throw err
    } finally {
      this.busy = false
    }
  }

  private enter (): void {
    if (this.finished) throw new Error('manifest builder already finished')
    // a failed write may have left nodes half-flushed: the put must start over
    if (this.failed) throw new Error('manifest builder failed earlier; start a new one')
    if (this.busy) throw new Error('manifest builder calls must be awaited one at a time')
    this.busy = true
  }

  private info (): ObjectInfo {
    const info = {
      size: this.size,
      chunkCount: this.chunkCount,
      etag: formatEtag(this.etag.digest(), this.chunkCount),
      metadata: this.metadata,
      version: this.version,
      blockSize: this.blockSize
    }
    return this.contentType === undefined ? info : { ...info, contentType: this.contentType }
  }

  private rootHeader (etagHash: Uint8Array = new Uint8Array(16)): Uint8Array {
    return encodeRootHeader({
      size: this.size,
      chunkCount: this.chunkCount,
      etagHash,
      contentType: this.contentType,
      metadata: this.metadata,
      version: this.version
    })
  }

  /** writes level `h` as a non-root node and adds it to level h + 1 */
  private async flush (h: number, options: AbortOptions): Promise<void> {
    const level = this.levels[h] as Level
    if (h + 1 > MAX_MANIFEST_HEIGHT) throw new RangeError(`manifest would be taller than ${MAX_MANIFEST_HEIGHT}`)
    const bytes = encodeNodeParts(h === 0 ? 'leaf' : 'index', h, this.blockSize, undefined, level.parts.length, level.parts)
    const cid = await this.write(bytes, options)
    const entry = encodeIndexEntry({ cid, size: level.size, chunkCount: level.chunkCount })
    const { size, chunkCount } = level
    this.levels[h] = new Level(h)
    let parent = this.levels[h + 1]
    if (parent === undefined) {
      parent = new Level(h + 1)
      this.levels.push(parent)
    }
    if (parent.encodedSize(entry.length, 1) > this.maxNodeBytes) await this.flush(h + 1, options)
    ;(this.levels[h + 1] as Level).push(entry, size, chunkCount)
  }

  private async write (bytes: Uint8Array, options: AbortOptions): Promise<CID> {
    const cid = await this.writeChunk(bytes, options)
    if (!isChunkCid(cid)) throw new TypeError('writeChunk must return a CIDv1 raw sha2-256')
    this.nodes++
    return cid
  }
}
