/**
 * What garbage collection keeps of a manifest node: only the ids it points
 * to, packed (32 bytes each). Manifests are immutable and content-addressed,
 * so an entry never goes stale; the cache is bounded by bytes and drops the
 * least recently used node first.
 */
import { decodeManifestNode } from '@weft/protocol'
import { DIGEST_BYTES } from './digests.js'
import type { ManifestNode } from '@weft/protocol'

export interface ManifestRefs {
  /** 0 for a leaf */
  readonly height: number
  /** true for an object's root node */
  readonly root: boolean
  /** a leaf's chunk digests, or an index node's child digests, concatenated */
  readonly digests: Uint8Array
}

/** rough bytes of a Map entry, its key string and the object around the digests */
const ENTRY_OVERHEAD = 160

export function manifestRefs (node: ManifestNode): ManifestRefs {
  const ids = node.kind === 'leaf' ? node.entries.map(e => e.cid) : node.children.map(c => c.cid)
  const digests = new Uint8Array(ids.length * DIGEST_BYTES)
  ids.forEach((cid, i) => { digests.set(cid.multihash.digest, i * DIGEST_BYTES) })
  return { height: node.height, root: node.info !== undefined, digests }
}

/** Decodes a manifest node's bytes (throws InvalidManifestError) into what GC keeps of it. */
export function parseManifestRefs (bytes: Uint8Array): ManifestRefs {
  return manifestRefs(decodeManifestNode(bytes))
}

export class ManifestCache {
  private readonly entries = new Map<string, ManifestRefs>()
  private readonly maxBytes: number
  private bytes = 0

  constructor (maxBytes: number) {
    this.maxBytes = maxBytes
  }

  get size (): number {
    return this.entries.size
  }

  get (key: string): ManifestRefs | undefined {
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      // most recently used goes last
      this.entries.delete(key)
      this.entries.set(key, hit)
    }
    return hit
  }

  set (key: string, refs: ManifestRefs): void {
    const cost = refs.digests.byteLength + ENTRY_OVERHEAD
    // a node bigger than the whole budget is used once and not kept
    if (cost > this.maxBytes || this.entries.has(key)) return
    this.entries.set(key, refs)
    this.bytes += cost
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(k)
      this.bytes -= v.digests.byteLength + ENTRY_OVERHEAD
    }
  }
}
