/**
 * The pieces of garbage collection on one node, over real stores in a temp
 * dir: the reference scan over a deep manifest tree, the store's touch
 * tracking and conditional delete, the ref store's tombstone removal.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { partitionOfRef } from '@weft/placement'
import { CID } from 'multiformats/cid'
import {
  ManifestBuilder, chunkCidSync, chunkEntry, encodeStoredRecord, MIN_MANIFEST_NODE_SIZE, tombstone
} from '@weft/protocol'
import { ReferencedAnswerer } from '../src/gc/answerer.js'
import { DIGEST_BYTES, digestKey } from '../src/gc/digests.js'
import { ManifestFetcher } from '../src/gc/fetch.js'
import { ReferenceScanner } from '../src/gc/scanner.js'
import { RefStore } from '../src/refs/store.js'
import { openChunkStore } from '../src/store/index.js'
import type { ChunkStore } from '../src/store/index.js'
import type { BucketRecord, RefRecord, Version } from '@weft/protocol'

const v = (wallMs: number): Version => ({ wallMs, counter: 0, writer: '12D3KooWwriter' })

function bytesOf (label: string, size: number): Uint8Array {
  const out = new Uint8Array(size)
  const seed = new TextEncoder().encode(label)
  for (let i = 0; i < size; i++) out[i] = (seed[i % seed.length] as number) ^ (i * 31) ^ (i >> 8)
  return out
}

describe('gc on one node: scan, touches, conditional delete', () => {
  let dir: string
  let store: ChunkStore
  let refs: RefStore

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'weft-gc-'))
    store = await openChunkStore({ dir })
    refs = await RefStore.open({ dir })
  })
  afterEach(async () => {
    await refs.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Stores an object's chunks and a manifest built with tiny nodes; returns every id it reaches. */
  async function storeObject (key: string, chunks: number): Promise<{ ref: RefRecord, ids: Set<string>, nodes: number, height: number }> {
    const ids = new Set<string>()
    const builder = new ManifestBuilder({
      version: v(1000),
      blockSize: 1024,
      maxNodeBytes: MIN_MANIFEST_NODE_SIZE,
      writeChunk: async (bytes) => {
        const cid = chunkCidSync(bytes)
        await store.put(cid, bytes)
        ids.add(cid.toString())
        return cid
      }
    })
    for (let i = 0; i < chunks; i++) {
      const bytes = bytesOf(`${key}/${i}`, 700 + i)
      const cid = chunkCidSync(bytes)
      await store.put(cid, bytes)
      ids.add(cid.toString())
      await builder.add(chunkEntry(bytes, 1024))
    }
    const m = await builder.finish()
    const ref: RefRecord = { bucket: 'photos', key, manifest: m.cid.toString(), size: m.info.size, etag: m.info.etag, version: v(1000), deleted: false }
    await refs.put(ref, encodeStoredRecord(ref))
    return { ref, ids, nodes: m.nodes, height: m.height }
  }

  function scanner (): ReferenceScanner {
    // a mesh of one: the fetcher finds what this node holds and has no one else to ask
    const fetcher = new ManifestFetcher({
      self: 'self',
      store,
      chunkClient: { get: () => { throw new Error('no peers to ask') } },
      map: () => ({ version: 1, nodes: [] }),
      liveness: () => undefined
    }, { fetchTimeoutMs: 1000, maxFetchPeers: 8 })
    return new ReferenceScanner({ refs: () => refs, fetcher }, { manifestCacheBytes: 1 << 20, missingRetryMs: 1000 })
  }

  it('reaches every data chunk and every node of a deep manifest tree, and names refs whose manifest is gone', async () => {
    const big = await storeObject('big', 60)
    assert.ok(big.height >= 2, `a tree of height ${big.height}`)
    assert.equal(big.ids.size, 60 + big.nodes)
    const small = await storeObject('small', 2)
    // a deleted object, a bucket record and a ref to a manifest nobody holds
    await refs.put(tombstone('photos', 'gone', v(2000)), encodeStoredRecord(tombstone('photos', 'gone', v(2000))))
    const bucket: BucketRecord = { name: 'photos', policy: { replicas: 1, spread: 'host', allowedZones: [], chunkSize: 4 << 20 }, version: v(1), deleted: false }
    await refs.put(bucket, encodeStoredRecord(bucket))
    const nowhere: RefRecord = { ...small.ref, key: 'nowhere', manifest: chunkCidSync(bytesOf('never stored', 10)).toString() }
    await refs.put(nowhere, encodeStoredRecord(nowhere))

    const reached = new Set<string>()
    const s = scanner()
    const result = await s.scan({
      reached: (digests) => {
        for (let at = 0; at < digests.byteLength; at += DIGEST_BYTES) reached.add(digestKey(digests, at))
        return false
      }
    })
    // every stored id of both objects, the missing manifest's id, and nothing else
    const expected = new Set([...big.ids, ...small.ids, nowhere.manifest as string].map(id => digestKey(CID.parse(id).multihash.digest)))
    assert.deepEqual(reached, expected)
    assert.equal(result.refs, 3)
    assert.deepEqual(result.lost.map(l => [l.bucket, l.key, l.reason]), [['photos', 'nowhere', 'manifest-missing']])
    assert.equal(result.complete, false, 'the chunks a missing manifest lists are unknown')
    assert.match(result.failure ?? '', /photos\/nowhere/)
    assert.ok(s.cachedNodes >= big.nodes + small.nodes, 'manifest nodes are cached')
    // once that object is deleted, the scan is complete again
    const deleted = tombstone('photos', 'nowhere', v(3000))
    await refs.put(deleted, encodeStoredRecord(deleted))

    // the answerer: ids reached and not reached, in the order asked
    const controller = new AbortController()
    const answerer = new ReferencedAnswerer(s, 4, controller.signal)
    const orphan = chunkCidSync(bytesOf('orphan', 100))
    await store.put(orphan, bytesOf('orphan', 100))
    const asked: CID[] = [orphan, ...[...big.ids].slice(0, 3).map(id => CID.parse(id))]
    const [a, b] = await Promise.all([answerer.referenced(asked), answerer.referenced(asked.slice(1))])
    assert.deepEqual(a, { referenced: [false, true, true, true], complete: true })
    assert.deepEqual(b, { referenced: [true, true, true], complete: true })
    controller.abort()
    await assert.rejects(answerer.referenced(asked))
  })

  it('deletes only chunks stored and untouched before the cutoff, and frees their bytes', async () => {
    const a = bytesOf('a', 5000)
    const b = bytesOf('b', 7000)
    const ca = chunkCidSync(a)
    const cb = chunkCidSync(b)
    await store.put(ca, a)
    await store.put(cb, b)
    const used = store.usage().usedBytes
    const afterStore = Date.now() + 1
    await new Promise(resolve => setTimeout(resolve, 5))
    assert.equal(await store.deleteUntouched(ca, afterStore - 1000), 0, 'stored after the cutoff: kept')
    // a writer probes b: it is touched and survives a cutoff it would otherwise fall under
    assert.deepEqual(await store.has([cb, chunkCidSync(bytesOf('absent', 10))], { touch: true }), [true, false])
    assert.ok(store.touchedAt(cb) >= afterStore)
    assert.equal(await store.deleteUntouched(cb, afterStore), 0)
    assert.equal(await store.deleteUntouched(ca, afterStore), 5000)
    assert.deepEqual(await store.has([ca, cb]), [false, true])
    assert.equal(store.usage().usedBytes, used - 5000)
    assert.equal(await store.deleteUntouched(ca, afterStore), 0, 'already gone')
    // a put of a held chunk is a touch too
    const t = Date.now() + 1
    await new Promise(resolve => setTimeout(resolve, 5))
    await store.put(cb, b)
    assert.ok(store.touchedAt(cb) >= t)
    store.forgetTouchesBefore(Date.now() + 1000)
    assert.ok(store.touchedAt(cb) < t, 'forgotten touches fall back to the open time')
    assert.equal(await store.deleteUntouched(cb, Date.now() + 1), 7000)
  })

  it('never answers a HAS probe "held" for a chunk a racing GC delete removes', async () => {
    let kept = 0
    let collected = 0
    for (let i = 0; i < 30; i++) {
      const bytes = bytesOf(`race ${i}`, 2000)
      const cid = chunkCidSync(bytes)
      await store.put(cid, bytes)
      await new Promise(resolve => setTimeout(resolve, 3))
      const cutoff = Date.now()
      await new Promise(resolve => setTimeout(resolve, 2))
      // the probe lands at a different point of the delete each round
      const deleting = store.deleteUntouched(cid, cutoff)
      for (let k = 0; k < i % 6; k++) await new Promise(resolve => setImmediate(resolve))
      const [held] = await store.has([cid], { touch: true })
      const freed = await deleting
      const [still] = await store.has([cid])
      assert.equal(held === true && freed > 0, false, `round ${i}: a probe said held for a chunk being deleted`)
      if (held === true) assert.equal(still, true, `round ${i}: a chunk answered held is still there`)
      if (freed > 0) collected++
      else kept++
    }
    assert.ok(collected > 0, 'some deletes won the race')
    assert.ok(kept + collected === 30)
  })

  it('counts every chunk as touched when the store opened (touches are not persisted)', async () => {
    const a = bytesOf('early', 3000)
    const ca = chunkCidSync(a)
    await store.put(ca, a)
    await store.close()
    await new Promise(resolve => setTimeout(resolve, 20))
    const opened = Date.now()
    store = await openChunkStore({ dir })
    assert.ok(store.touchedAt(ca) >= opened - 1)
    assert.equal(await store.deleteUntouched(ca, opened - 5), 0, 'not before a grace period since the restart')
  })

  it('removes a tombstone only at the version it saw', async () => {
    const loc = { bucket: 'photos', key: 'k' }
    await refs.put(tombstone('photos', 'k', v(10)), encodeStoredRecord(tombstone('photos', 'k', v(10))))
    assert.equal(await refs.deleteIfVersion(loc, v(9)), false)
    assert.equal(await refs.deleteIfVersion(loc, v(10)), true)
    assert.equal(await refs.get(loc), undefined)
    assert.deepEqual((await refs.partition({ partition: partitionOfRef('photos', 'k'), limit: 10 })).records, [], 'its partition entry went with it')
    assert.equal((await all(refs.records())).length, 0)
    await refs.put(tombstone('photos', 'k', v(20)), encodeStoredRecord(tombstone('photos', 'k', v(20))))
    assert.equal((await all(refs.records())).length, 1)
  })
})

async function all<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of source) out.push(x)
  return out
}
