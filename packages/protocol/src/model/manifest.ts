/**
 * Manifest nodes and their binary encoding (format 1).
 *
 * A manifest is a tree of content-addressed nodes, each stored as a chunk.
 * A leaf lists chunk entries; an index node lists child nodes with the bytes
 * and chunks each covers. The root (leaf or index) also carries the object
 * header: size, chunk count, ETag, content type, user metadata, version.
 * A small object's manifest is a single root leaf.
 *
 * ```
 * node    = magic "WM" (0x57 0x4d) | format u8 = 1 | flags u8 | blockSizeLog2 u8
 *           | height varint | [header if root] | count varint | entry * count
 * flags   = bit 0: index node (else leaf), bit 1: root; other bits 0
 * header  = size varint | chunkCount varint | etag 16 B | contentType str
 *           | metadataCount varint | (key str, value str) * n, keys strictly
 *           ascending | version str (encodeVersion form)
 * leaf entry  = size varint (1..MAX_CHUNK_SIZE = 8 MiB) | sha256 32 B | block hashes 32 B each,
 *               ceil(size / blockSize) of them, none when that is 1
 * index entry = size varint (>= 1) | chunkCount varint (1..size) | sha256 32 B
 * str     = length varint | UTF-8 bytes
 * varint  = unsigned LEB128, minimal, <= 2^53 - 1
 * ```
 *
 * Chunk and node ids are always CIDv1 raw sha2-256, so only the digest is
 * stored. Decoding is strict and canonical (one encoding per manifest):
 * any bad magic, flag, length, non-minimal varint, out-of-range value,
 * inconsistent total or trailing byte throws `InvalidManifestError`.
 */
import {
  MAX_BLOCK_SIZE, MAX_CHUNK_SIZE, MAX_CONTENT_TYPE_BYTES, MAX_MANIFEST_HEIGHT,
  MAX_MANIFEST_NODE_SIZE, MAX_METADATA_BYTES, MIN_BLOCK_SIZE
} from './constants.js'
import { ByteReader, ByteWriter, varintLength } from './codec.js'
import { cidFromDigest, SHA256_BYTES } from './cid.js'
import { blockHashesLength } from './blocks.js'
import { InvalidManifestError } from './errors.js'
import { ETAG_HASH_BYTES, formatEtag } from './etag.js'
import { decodeVersion, encodeVersion, MAX_ENCODED_VERSION_LENGTH } from './hlc.js'
import { metadataEntries, validateContentType } from './metadata.js'
import type { ChunkEntry } from './blocks.js'
import type { Version } from './hlc.js'
import type { UserMetadata } from './metadata.js'
import type { CID } from 'multiformats/cid'

export const MANIFEST_MAGIC_0 = 0x57
export const MANIFEST_MAGIC_1 = 0x4d
export const MANIFEST_FORMAT = 1
const FLAG_INDEX = 0x01
const FLAG_ROOT = 0x02
/** magic, format, flags, blockSizeLog2 */
export const NODE_PREFIX_BYTES = 5
const MIN_LEAF_ENTRY = 1 + SHA256_BYTES
const MIN_INDEX_ENTRY = 2 + SHA256_BYTES

/** What a manifest root says about its object. */
export interface ObjectInfo {
  /** object bytes */
  readonly size: number
  readonly chunkCount: number
  /** `<32 hex>-<chunkCount>` (see etag.ts) */
  readonly etag: string
  /** undefined when none was given */
  readonly contentType?: string
  readonly metadata: UserMetadata
  /** the version of the put that wrote the object */
  readonly version: Version
  /** verification block size of every chunk (bytes, a power of two) */
  readonly blockSize: number
}

/** A child of an index node. */
export interface ManifestChild {
  readonly cid: CID
  /** object bytes the child's subtree covers */
  readonly size: number
  /** chunks the child's subtree lists */
  readonly chunkCount: number
}

interface NodeCommon {
  /** 0 for a leaf; an index node's children have height - 1 */
  readonly height: number
  readonly blockSize: number
  /** present on (and only on) the root */
  readonly info?: ObjectInfo
  /** bytes covered by this node (sum over entries or children) */
  readonly size: number
  /** chunks covered by this node */
  readonly chunkCount: number
}

export interface ManifestLeaf extends NodeCommon {
  readonly kind: 'leaf'
  readonly entries: readonly ChunkEntry[]
}

export interface ManifestIndex extends NodeCommon {
  readonly kind: 'index'
  readonly children: readonly ManifestChild[]
}

export type ManifestNode = ManifestLeaf | ManifestIndex

/** The object header a root node carries, in encodable form. */
export interface RootHeader {
  readonly size: number
  readonly chunkCount: number
  readonly etagHash: Uint8Array
  readonly contentType?: string
  readonly metadata: UserMetadata
  readonly version: Version
}

export function isPowerOfTwoBlockSize (blockSize: number): boolean {
  return Number.isInteger(blockSize) && blockSize >= MIN_BLOCK_SIZE && blockSize <= MAX_BLOCK_SIZE &&
    (blockSize & (blockSize - 1)) === 0
}

/** Encoded bytes of a root header (validates content type, metadata and version). */
export function encodeRootHeader (header: RootHeader): Uint8Array {
  const w = new ByteWriter()
  w.varint(header.size).varint(header.chunkCount)
  if (header.etagHash.length !== ETAG_HASH_BYTES) throw new RangeError('etag hash must be 16 bytes')
  w.bytes(header.etagHash)
  const contentType = header.contentType ?? ''
  validateContentType(contentType)
  w.string(contentType)
  const meta = metadataEntries(header.metadata)
  w.varint(meta.length)
  for (const [k, v] of meta) w.string(k).string(v)
  w.string(encodeVersion(header.version))
  return w.finish()
}

/**
 * Encodes a node from pre-encoded parts; the builder keeps entries encoded so
 * its memory is the node's size, not a tree of objects.
 */
export function encodeNodeParts (kind: 'leaf' | 'index', height: number, blockSize: number, header: Uint8Array | undefined, count: number, entries: readonly Uint8Array[]): Uint8Array {
  const w = new ByteWriter(1024)
  w.byte(MANIFEST_MAGIC_0).byte(MANIFEST_MAGIC_1).byte(MANIFEST_FORMAT)
  w.byte((kind === 'index' ? FLAG_INDEX : 0) | (header !== undefined ? FLAG_ROOT : 0))
  w.byte(Math.log2(blockSize))
  w.varint(height)
  if (header !== undefined) w.bytes(header)
  w.varint(count)
  for (const e of entries) w.bytes(e)
  return w.finish()
}

/** Encoded bytes of one leaf entry. */
export function encodeLeafEntry (entry: ChunkEntry): Uint8Array {
  return new ByteWriter(64).varint(entry.size).bytes(entry.cid.multihash.digest).bytes(entry.blockHashes).finish()
}

/** Encoded bytes of one index entry. */
export function encodeIndexEntry (child: ManifestChild): Uint8Array {
  return new ByteWriter(64).varint(child.size).varint(child.chunkCount).bytes(child.cid.multihash.digest).finish()
}

/** Encodes a whole decoded node (for tests and tools; the builder streams instead). */
export function encodeManifestNode (node: ManifestNode, header?: RootHeader): Uint8Array {
  const headerBytes = header === undefined ? undefined : encodeRootHeader(header)
  const entries = node.kind === 'leaf' ? node.entries.map(encodeLeafEntry) : node.children.map(encodeIndexEntry)
  return encodeNodeParts(node.kind, node.height, node.blockSize, headerBytes, entries.length, entries)
}

function fail (message: string): InvalidManifestError {
  return new InvalidManifestError(`invalid manifest: ${message}`)
}

/**
 * Decodes one manifest node. Throws `InvalidManifestError` (and nothing else)
 * on any malformed, oversized or internally inconsistent input.
 */
export function decodeManifestNode (bytes: Uint8Array): ManifestNode {
  if (!(bytes instanceof Uint8Array)) throw fail('not bytes')
  if (bytes.length > MAX_MANIFEST_NODE_SIZE) throw fail(`node is ${bytes.length} bytes; the limit is ${MAX_MANIFEST_NODE_SIZE}`)
  const r = new ByteReader(bytes, fail)
  if (r.byte('magic') !== MANIFEST_MAGIC_0 || r.byte('magic') !== MANIFEST_MAGIC_1) throw fail('bad magic')
  const format = r.byte('format')
  if (format !== MANIFEST_FORMAT) throw fail(`unknown format ${format}`)
  const flags = r.byte('flags')
  if ((flags & ~(FLAG_INDEX | FLAG_ROOT)) !== 0) throw fail(`unknown flags 0x${flags.toString(16)}`)
  const isIndex = (flags & FLAG_INDEX) !== 0
  const isRoot = (flags & FLAG_ROOT) !== 0
  const log2 = r.byte('block size')
  const blockSize = 2 ** log2
  if (!isPowerOfTwoBlockSize(blockSize)) throw fail(`block size 2^${log2} is out of range`)
  const height = isIndex ? r.varint('height', MAX_MANIFEST_HEIGHT, 1) : r.varint('height', 0)

  let header: Omit<ObjectInfo, 'etag' | 'blockSize'> & { etagHash: Uint8Array } | undefined
  if (isRoot) header = decodeHeader(r)

  const count = r.varint('entry count')
  if (count === 0 && !(isRoot && !isIndex)) throw fail('only a root leaf may be empty')
  if (count * (isIndex ? MIN_INDEX_ENTRY : MIN_LEAF_ENTRY) > r.remaining) throw fail(`${count} entries cannot fit in ${r.remaining} bytes`)

  let size = 0
  let chunkCount = 0
  let node: ManifestNode
  if (isIndex) {
    const children: ManifestChild[] = []
    for (let i = 0; i < count; i++) {
      const childSize = r.varint('child size', Number.MAX_SAFE_INTEGER, 1)
      const childChunks = r.varint('child chunk count', childSize, 1)
      const cid = cidFromDigest(r.bytes(SHA256_BYTES, 'child id'))
      size += childSize
      chunkCount += childChunks
      if (!Number.isSafeInteger(size)) throw fail('object size overflows')
      children.push({ cid, size: childSize, chunkCount: childChunks })
    }
    node = { kind: 'index', height, blockSize, size, chunkCount, children }
  } else {
    const entries: ChunkEntry[] = []
    for (let i = 0; i < count; i++) {
      const chunkSize = r.varint('chunk size', MAX_CHUNK_SIZE, 1)
      const cid = cidFromDigest(r.bytes(SHA256_BYTES, 'chunk id'))
      const blockHashes = r.bytes(blockHashesLength(chunkSize, blockSize), 'block hashes')
      size += chunkSize
      if (!Number.isSafeInteger(size)) throw fail('object size overflows')
      entries.push({ cid, size: chunkSize, blockHashes })
    }
    chunkCount = count
    node = { kind: 'leaf', height, blockSize, size, chunkCount, entries }
  }
  r.end('node')

  if (header !== undefined) {
    if (header.size !== size) throw fail(`root says ${header.size} bytes, entries cover ${size}`)
    if (header.chunkCount !== chunkCount) throw fail(`root says ${header.chunkCount} chunks, entries hold ${chunkCount}`)
    const { etagHash, ...rest } = header
    node = { ...node, info: { ...rest, etag: formatEtag(etagHash, chunkCount), blockSize } }
  }
  return node
}

function decodeHeader (r: ByteReader): Omit<ObjectInfo, 'etag' | 'blockSize'> & { etagHash: Uint8Array } {
  const size = r.varint('object size')
  const chunkCount = r.varint('object chunk count', size)
  const etagHash = r.bytes(ETAG_HASH_BYTES, 'etag')
  const contentType = r.string('content type', MAX_CONTENT_TYPE_BYTES)
  const metaCount = r.varint('metadata count', MAX_METADATA_BYTES)
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>
  let previous: string | undefined
  for (let i = 0; i < metaCount; i++) {
    const k = r.string('metadata key', MAX_METADATA_BYTES)
    const v = r.string('metadata value', MAX_METADATA_BYTES)
    if (previous !== undefined && !(previous < k)) throw fail('metadata keys are not strictly ascending')
    previous = k
    metadata[k] = v
  }
  const versionText = r.string('version', MAX_ENCODED_VERSION_LENGTH)
  let version: Version
  try {
    validateContentType(contentType)
    metadataEntries(metadata)
    version = decodeVersion(versionText)
  } catch (err) {
    throw fail((err as Error).message)
  }
  const out = { size, chunkCount, etagHash, metadata: { ...metadata }, version }
  return contentType === '' ? out : { ...out, contentType }
}

/** Bytes a leaf entry for a chunk of `size` takes (for capacity planning). */
export function leafEntryBytes (size: number, blockSize: number): number {
  return varintLength(size) + SHA256_BYTES + blockHashesLength(size, blockSize)
}
