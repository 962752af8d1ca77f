/**
 * The object operations over in-memory parts: chunk replicas in maps (with
 * put, has and get like the chunk client's), refs in a map merged by
 * version, placement over a synthetic map, and the real replicated write,
 * manifest builder/reader, replica reader and manifest cache.
 */
import { createPlacement } from '@weft/placement'
import { HybridClock, SizeMismatchError, chunkCidSync, compareKeys, newerRef, resolveBucketPolicy, writeChunk, WeftError } from '@weft/protocol'
import { ManifestCache } from '../../src/objects/manifest-cache.js'
import { ReplicaReader } from '../../src/reads/reader.js'
import { MemoryChunks, peers } from '../reads/memory-chunks.js'
import type { ObjectComponents, RefListOptions, RefView } from '../../src/objects/types.js'
import type { ReplicaReaderInit } from '../../src/reads/reader.js'
import type { PeerId } from '@libp2p/interface'
import type { ClusterMap, PlacementPolicy } from '@weft/placement'
import type { BucketPolicy, ChunkPutOptions, PutResult, RefRecord } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

export class MemoryStore extends MemoryChunks {
  /** puts received, per peer */
  readonly puts = new Map<string, number>()
  /** the next put to this peer fails with this code (once) */
  readonly failNext = new Map<string, string>()

  async put (peer: PeerId, cid: CID, source: AsyncIterable<Uint8Array> | Uint8Array, options: ChunkPutOptions = {}): Promise<PutResult> {
    options.signal?.throwIfAborted()
    const parts: Uint8Array[] = []
    if (source instanceof Uint8Array) parts.push(source)
    else for await (const p of source) parts.push(p)
    const bytes = Uint8Array.from(Buffer.concat(parts))
    if (options.size !== undefined && options.size !== bytes.byteLength) throw new SizeMismatchError('size')
    const chain = [peer, ...(options.forward ?? []).map(f => 'peer' in f ? f.peer : f)]
    const result: PutResult = { stored: [], failed: [] }
    for (const p of chain) {
      const id = p.toString()
      this.puts.set(id, (this.puts.get(id) ?? 0) + 1)
      const once = this.failNext.get(id)
      this.failNext.delete(id)
      const fail = once ?? this.behaviour.get(id)?.failCode
      if (fail !== undefined) {
        result.failed.push({ peer: p, code: fail, message: 'told to fail' })
        continue
      }
      if (!chunkCidSync(bytes).equals(cid)) {
        result.failed.push({ peer: p, code: 'ERR_HASH_MISMATCH', message: 'bad bytes' })
        continue
      }
      const existed = this.data.get(id)?.has(cid.toString()) === true
      this.store(id, bytes)
      result.stored.push({ peer: p, existed })
    }
    return result
  }

  async has (peer: PeerId, cids: CID[]): Promise<boolean[]> {
    return cids.map(c => this.data.get(peer.toString())?.has(c.toString()) === true)
  }

  /** chunks held by `peer` */
  count (peer: string): number {
    return this.data.get(peer)?.size ?? 0
  }
}

export class MemoryRefs implements RefView {
  readonly refs = new Map<string, RefRecord>()
  puts = 0

  async putRef (ref: RefRecord, _policy: PlacementPolicy): Promise<void> {
    this.puts++
    const k = `${ref.bucket}\0${ref.key}`
    const old = this.refs.get(k)
    this.refs.set(k, old === undefined ? ref : newerRef(old, ref))
  }

  async getRef (bucket: string, key: string, _policy: PlacementPolicy): Promise<RefRecord | undefined> {
    return this.refs.get(`${bucket}\0${key}`)
  }

  async * listRefs (bucket: string, _policy: PlacementPolicy, options: RefListOptions = {}): AsyncGenerator<RefRecord> {
    const all = [...this.refs.values()]
      .filter(r => r.bucket === bucket && !r.deleted && r.key.startsWith(options.prefix ?? ''))
      .filter(r => options.startAfter === undefined || compareKeys(r.key, options.startAfter) > 0)
      .sort((a, b) => compareKeys(a.key, b.key))
    yield * all.slice(0, options.limit ?? Infinity)
  }
}

export interface MemoryMesh {
  store: MemoryStore
  refs: MemoryRefs
  ids: string[]
  map: ClusterMap
  policies: Map<string, BucketPolicy>
  components: ObjectComponents
}

export async function memoryMesh (nodes = 4, init: { reader?: ReplicaReaderInit, manifestNodeBytes?: number } = {}): Promise<MemoryMesh> {
  const store = new MemoryStore()
  const refs = new MemoryRefs()
  const list = await peers(nodes)
  const ids = list.map(p => p.id)
  const map: ClusterMap = { version: 1, nodes: ids.map((peerId, i) => ({ peerId, weight: 1, zone: `r/z${i % 2}/rack/h${i}`, state: 'up' as const })) }
  const policies = new Map<string, BucketPolicy>([['data', resolveBucketPolicy({ chunkSize: 64 * 1024, replicas: 2 })]])
  const placement = (): ReturnType<typeof createPlacement> => createPlacement(map)
  const components: ObjectComponents = {
    chunks: store,
    placement,
    refs,
    policyOf: async (bucket) => {
      const p = policies.get(bucket)
      if (p === undefined) throw new WeftError(`no bucket ${bucket}`, 'ERR_BUCKET_NOT_FOUND')
      return p
    },
    clock: new HybridClock({ writer: 'test-client' }),
    reader: new ReplicaReader({ chunks: store, placement, reader: {} }, init.reader),
    manifests: new ManifestCache(),
    writeChunk,
    manifestNodeBytes: init.manifestNodeBytes
  }
  return { store, refs, ids, map, policies, components }
}
