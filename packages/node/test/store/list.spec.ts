import assert from 'node:assert/strict'
import { PARTITION_BITS, PARTITION_COUNT, partitionOfDigest } from '@weft/placement'
import { Harness, chunk, collect } from './fixtures.js'
import type { ChunkDeletedEvent, ListedChunk } from '../../src/store/index.js'
import type { CID } from 'multiformats/cid'

/** top `bits` bits of the digest, computed independently of the store */
function topBits (cid: CID, bits: number): number {
  const d = cid.multihash.digest
  return Number(BigInt('0x' + Buffer.from(d.subarray(0, 4)).toString('hex')) >> BigInt(32 - bits))
}

async function all (source: AsyncIterable<ListedChunk>): Promise<ListedChunk[]> {
  const out: ListedChunk[] = []
  for await (const c of source) {
    out.push(c)
  }
  return out
}

describe('chunk store: list, stat, delete', () => {
  const h = new Harness()
  afterEach(async () => { await h.cleanup() })

  it('lists every chunk in partition order, and one partition at a time', async () => {
    const store = await h.open()
    const chunks = await Promise.all(Array.from({ length: 40 }, async (_, i) => chunk(i + 1)))
    for (const c of chunks) {
      await store.put(c.cid, c.bytes)
    }
    const listed = await all(store.list())
    assert.equal(listed.length, 40)
    const digests = listed.map(c => Buffer.from(c.cid.multihash.digest).toString('hex'))
    assert.deepEqual(digests, [...digests].sort(), 'digest order')
    const partitions = listed.map(c => c.partition)
    assert.deepEqual(partitions, [...partitions].sort((a, b) => a - b), 'partition order')
    for (const c of listed) {
      assert.equal(c.partition, partitionOfDigest(c.cid.multihash.digest))
      assert.equal(c.partition, topBits(c.cid, PARTITION_BITS))
      assert.equal(c.size, chunks.find(o => o.cid.equals(c.cid))?.bytes.byteLength)
    }
    for (const p of new Set(partitions)) {
      const part = await all(store.list({ partition: p }))
      assert.deepEqual(part.map(c => c.cid.toString()), listed.filter(c => c.partition === p).map(c => c.cid.toString()))
    }
    const empty = Array.from({ length: PARTITION_COUNT }, (_, i) => i).find(p => !partitions.includes(p)) ?? 0
    assert.deepEqual(await all(store.list({ partition: empty })), [])
    await assert.rejects(all(store.list({ partition: PARTITION_COUNT })), RangeError)
    await assert.rejects(all(store.list({ partition: -1 })), RangeError)
  })

  it('stat reports size, partition and time stored', async () => {
    const store = await h.open()
    const { bytes, cid } = await chunk(100)
    const before = Date.now()
    await store.put(cid, bytes)
    const stat = await store.stat(cid)
    assert.equal(stat?.partition, partitionOfDigest(cid.multihash.digest))
    assert.equal(stat?.size, 100)
    assert.ok(stat != null && stat.storedAt >= before && stat.storedAt <= Date.now())
  })

  it('delete removes the chunk, frees usage and emits chunk:deleted', async () => {
    const store = await h.open()
    const a = await chunk(3000)
    const b = await chunk(4000)
    await store.put(a.cid, a.bytes)
    await store.put(b.cid, b.bytes)
    const deleted: ChunkDeletedEvent[] = []
    store.addEventListener('chunk:deleted', (evt) => { deleted.push(evt.detail) })

    assert.equal(await store.delete(a.cid), true)
    assert.equal(await store.delete(a.cid), false)
    assert.deepEqual(deleted.map(d => [d.cid.toString(), d.size]), [[a.cid.toString(), 3000]])
    assert.deepEqual(await store.has([a.cid, b.cid]), [false, true])
    assert.equal(store.usage().usedBytes, 4000)
    assert.equal(store.usage().chunkCount, 1)
    assert.deepEqual((await all(store.list())).map(c => c.cid.toString()), [b.cid.toString()])
    await assert.rejects(collect(store.get(a.cid)), { code: 'ERR_CHUNK_NOT_FOUND' })
  })
})
