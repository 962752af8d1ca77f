import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { partitionOfRef } from '@weft/placement'
import { BUCKETS_NAMESPACE, chunkCid, decodeStoredRecord, encodeStoredRecord, MAX_LIST_RESPONSE_BYTES, tombstone } from '@weft/protocol'
import { RefStore } from '../../src/refs/store.js'
import type { BucketRecord, RefRecord, StoredRecord, Version } from '@weft/protocol'

const v = (wallMs: number, writer = 'w1'): Version => ({ wallMs, counter: 0, writer })

async function ref (key: string, version: Version, bucket = 'photos'): Promise<RefRecord> {
  return { bucket, key, manifest: (await chunkCid(new TextEncoder().encode(key))).toString(), size: 1, etag: 'e', version, deleted: false }
}

async function put (store: RefStore, record: StoredRecord): Promise<string> {
  return (await store.put(record, encodeStoredRecord(record))).status
}

describe('ref store (level in a temp dir)', () => {
  let dir: string
  let store: RefStore

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'weft-refstore-'))
    store = await RefStore.open({ dir })
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps the newest version, tombstones included, durably', async () => {
    assert.equal(await put(store, await ref('a', v(10))), 'stored')
    assert.equal(await put(store, await ref('a', v(5))), 'older')
    assert.equal(await put(store, await ref('a', v(10))), 'existing')
    assert.equal(await put(store, await ref('a', v(10, 'w2'))), 'stored', 'the writer id breaks ties')
    assert.deepEqual((await store.get({ bucket: 'photos', key: 'a' }))?.version, v(10, 'w2'))
    assert.equal(await put(store, tombstone('photos', 'a', v(20))), 'stored')
    assert.equal(await put(store, await ref('a', v(15))), 'older', 'an older put cannot resurrect a deleted ref')
    // concurrent writes of one key: whatever the interleaving, the newest stays
    const versions = Array.from({ length: 30 }, (_, i) => v(100 + ((i * 17) % 30)))
    await Promise.all(versions.map(async ver => put(store, await ref('b', ver))))
    assert.equal((await store.get({ bucket: 'photos', key: 'b' }))?.version.wallMs, 129)
    await store.close()
    store = await RefStore.open({ dir })
    assert.equal((await store.get({ bucket: 'photos', key: 'a' }))?.deleted, true)
    assert.equal((await store.get({ bucket: 'photos', key: 'b' }))?.version.wallMs, 129)
  })

  it('lists a bucket in UTF-8 order with prefix, cursor, limit and more; never another bucket', async () => {
    const keys = ['a', 'a/1', 'a/2', 'a/b', 'ab', 'b', 'é', '\uE000', '😀']
    await Promise.all(keys.map(async k => put(store, await ref(k, v(1)))))
    await put(store, await ref('a/1', v(1), 'photos2'))
    await put(store, await ref('zzz', v(1), 'photo'))
    const list = async (prefix: string, limit: number, startAfter?: string): Promise<[string[], boolean]> => {
      const page = await store.list({ bucket: 'photos', prefix, limit, ...(startAfter != null ? { startAfter } : {}) })
      return [page.records.map(b => (decodeStoredRecord(b) as RefRecord).key), page.more]
    }
    const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    assert.deepEqual(await list('', 1000), [sorted, false])
    assert.deepEqual(await list('', 3), [sorted.slice(0, 3), true])
    assert.deepEqual(await list('', 3, sorted[2]), [sorted.slice(3, 6), true])
    assert.deepEqual(await list('a/', 10), [['a/1', 'a/2', 'a/b'], false])
    assert.deepEqual(await list('a/', 10, 'a/1'), [['a/2', 'a/b'], false])
    assert.deepEqual(await list('a/', 10, 'a'), [['a/1', 'a/2', 'a/b'], false], 'a cursor before the prefix starts at the prefix')
    assert.deepEqual(await list('a/', 10, 'b'), [[], false])
    assert.deepEqual(await list('', 10, '😀'), [[], false])
  })

  it('caps a page by bytes, and indexes refs by partition', async () => {
    // bucket records of ~8 KiB each (32 long allowed zones): 150 of them exceed one page's bytes
    const zones = Array.from({ length: 32 }, (_, i) => `z${i}/${'x'.repeat(240)}`)
    await Promise.all(Array.from({ length: 150 }, async (_, i) => {
      const record: BucketRecord = { name: `bucket-${String(i).padStart(3, '0')}`, policy: { replicas: 3, spread: 'host', allowedZones: zones, chunkSize: 1 << 20 }, version: v(1), deleted: false }
      return put(store, record)
    }))
    const page = await store.list({ bucket: BUCKETS_NAMESPACE, prefix: '', limit: 1000 })
    const bytes = page.records.reduce((n, r) => n + r.byteLength, 0)
    assert.ok(page.more && page.records.length < 150 && page.records.length > 100, `${page.records.length} records`)
    assert.ok(bytes <= MAX_LIST_RESPONSE_BYTES)

    await Promise.all(Array.from({ length: 200 }, async (_, i) => put(store, await ref(`k${i}`, v(1)))))
    const key = 'k42'
    const p = partitionOfRef('photos', key)
    const inPartition = await store.partition({ partition: p, limit: 1000 })
    const found = inPartition.records.map(b => decodeStoredRecord(b) as RefRecord)
    assert.deepEqual(found.map(r => r.key), ['k42'])
    const name = 'bucket-007'
    const bucketPartition = await store.partition({ partition: partitionOfRef(BUCKETS_NAMESPACE, name), limit: 10 })
    assert.ok(bucketPartition.records.map(decodeStoredRecord).some(r => 'name' in r && r.name === name))
    const after = await store.partition({ partition: p, startAfter: { bucket: 'photos', key }, limit: 1000 })
    assert.equal(after.records.length, 0)
  })
})
