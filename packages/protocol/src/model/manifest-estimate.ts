/**
 * Manifest size arithmetic for capacity planning and the docs: how many
 * entries fit a node, how tall the tree of an object of a given size is.
 * It mirrors the builder's packing (tested against it).
 */
import { DEFAULT_BLOCK_SIZE, DEFAULT_CHUNK_SIZE, DEFAULT_MANIFEST_NODE_SIZE } from './constants.js'
import { varintLength } from './codec.js'
import { SHA256_BYTES } from './cid.js'
import { leafEntryBytes, NODE_PREFIX_BYTES } from './manifest.js'

export interface ManifestEstimateInit {
  /** @default DEFAULT_CHUNK_SIZE (4 MiB) */
  chunkSize?: number
  /** @default DEFAULT_BLOCK_SIZE (256 KiB) */
  blockSize?: number
  /** @default DEFAULT_MANIFEST_NODE_SIZE (4 MiB) */
  maxNodeBytes?: number
  /**
   * bytes of the root's object header (grows with content type, metadata
   * and writer id)
   *
   * @default 128 (no metadata, a 52-character peer id)
   */
  rootHeaderBytes?: number
}

export interface ManifestEstimate {
  readonly chunks: number
  /** bytes of one full-size chunk's leaf entry */
  readonly leafEntryBytes: number
  /** chunk entries in one full non-root leaf */
  readonly entriesPerLeaf: number
  readonly leaves: number
  /** root height: 0 = one leaf, 1 = root index over leaves, ... */
  readonly height: number
  /** manifest nodes in all, root included */
  readonly nodes: number
  /** bytes of all leaf entries (the bulk of the manifest) */
  readonly leafBytes: number
}

/** How many `entryBytes`-sized entries fit one non-root node at `height`. */
function perNode (maxNodeBytes: number, height: number, entryBytes: number): number {
  let n = Math.floor((maxNodeBytes - NODE_PREFIX_BYTES - varintLength(height) - 1) / entryBytes)
  while (n > 0 && NODE_PREFIX_BYTES + varintLength(height) + varintLength(n) + n * entryBytes > maxNodeBytes) n--
  return n
}

/**
 * The manifest of an object of `objectSize` bytes cut into full chunks of
 * `chunkSize` (the last one short), packed the way `ManifestBuilder` packs:
 * full non-root nodes level by level, and a root that holds the object
 * header (one more level when the header does not fit beside the entries).
 */
export function estimateManifest (objectSize: number, init: ManifestEstimateInit = {}): ManifestEstimate {
  const chunkSize = init.chunkSize ?? DEFAULT_CHUNK_SIZE
  const blockSize = init.blockSize ?? DEFAULT_BLOCK_SIZE
  const maxNodeBytes = init.maxNodeBytes ?? DEFAULT_MANIFEST_NODE_SIZE
  const chunks = Math.ceil(objectSize / chunkSize)
  const entryBytes = leafEntryBytes(chunkSize, blockSize)
  const entriesPerLeaf = perNode(maxNodeBytes, 0, entryBytes)
  if (entriesPerLeaf < 1) throw new RangeError('a chunk entry does not fit in one node')
  const headerBytes = init.rootHeaderBytes ?? 128
  const fitsRoot = (height: number, count: number, perEntry: number): boolean =>
    NODE_PREFIX_BYTES + varintLength(height) + headerBytes + varintLength(count) + count * perEntry <= maxNodeBytes
  const base = { chunks, leafEntryBytes: entryBytes, entriesPerLeaf, leafBytes: chunks * entryBytes }
  if (fitsRoot(0, chunks, entryBytes)) return { ...base, leaves: 1, height: 0, nodes: 1 }
  const leaves = Math.ceil(chunks / entriesPerLeaf)
  let count = leaves
  let nodes = leaves
  let covered = entriesPerLeaf * chunkSize
  let coveredChunks = entriesPerLeaf
  for (let height = 1; ; height++) {
    const entry = varintLength(Math.min(covered, objectSize)) + varintLength(Math.min(coveredChunks, chunks)) + SHA256_BYTES
    if (fitsRoot(height, count, entry)) return { ...base, leaves, height, nodes: nodes + 1 }
    const fanout = perNode(maxNodeBytes, height, entry)
    count = Math.ceil(count / fanout)
    nodes += count
    covered *= fanout
    coveredChunks *= fanout
  }
}
