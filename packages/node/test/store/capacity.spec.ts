import assert from 'node:assert/strict'
import path from 'node:path'
import { Harness, KiB, chunk, counted, filesUnder, pieces } from './fixtures.js'

describe('chunk store: capacity', () => {
  const h = new Harness()
  afterEach(async () => { await h.cleanup() })

  it('enforces the configured limit before reading and while streaming, and reports full', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir, capacityBytes: 1024 * KiB, fullBelowBytes: 256 * KiB })
    const a = await chunk(700 * KiB)
    await store.put(a.cid, pieces(a.bytes))
    assert.deepEqual(store.usage(), { usedBytes: 700 * KiB, chunkCount: 1, capacityBytes: 1024 * KiB, freeBytes: 324 * KiB, full: false })

    // declared size: refused before a single byte is pulled
    const b = await chunk(400 * KiB)
    const src = counted(b.bytes)
    const err = await store.put(b.cid, src.source, { size: b.bytes.byteLength }).then(() => undefined, (e: unknown) => e)
    assert.equal((err as { code?: string }).code, 'ERR_STORE_FULL')
    assert.equal((err as { freeBytes?: number }).freeBytes, 324 * KiB)
    assert.equal(src.pulled(), 0)

    // unknown size: refused mid-stream, nothing left behind
    await assert.rejects(store.put(b.cid, pieces(b.bytes)), { code: 'ERR_STORE_FULL' })
    assert.deepEqual(await store.has([b.cid]), [false])
    assert.deepEqual(await filesUnder(path.join(dir, 'tmp')), [])
    assert.equal(store.usage().usedBytes, 700 * KiB)
    assert.equal(store.counters().rejectedFull, 2)

    const c = await chunk(300 * KiB)
    await store.put(c.cid, pieces(c.bytes))
    assert.equal(store.usage().freeBytes, 24 * KiB)
    assert.equal(store.usage().full, true)

    // deleting frees the space again
    assert.equal(await store.delete(a.cid), true)
    assert.deepEqual(store.usage(), { usedBytes: 300 * KiB, chunkCount: 1, capacityBytes: 1024 * KiB, freeBytes: 724 * KiB, full: false })
    assert.equal((await store.put(b.cid, b.bytes)).existed, false)
  })

  it('enforces the real free space of the disk (minus the reserve)', async () => {
    const store = await h.open({ reserveBytes: Number.MAX_SAFE_INTEGER })
    const { bytes, cid } = await chunk(1)
    await assert.rejects(store.put(cid, bytes), { code: 'ERR_STORE_FULL' })
    await assert.rejects(store.put(cid, pieces(bytes)), { code: 'ERR_STORE_FULL' })
    const usage = store.usage()
    assert.equal(usage.full, true)
    assert.equal(usage.freeBytes, 0)
    assert.equal(usage.capacityBytes, 0)
  })

  it('reports the disk as capacity when no limit is set', async () => {
    const store = await h.open()
    const usage = store.usage()
    assert.ok(usage.capacityBytes > 0 && Number.isFinite(usage.capacityBytes))
    assert.equal(usage.freeBytes, usage.capacityBytes)
    assert.equal(usage.full, usage.freeBytes < 4 * 1024 * KiB)
  })

  it('concurrent puts cannot together overshoot the limit', async () => {
    const store = await h.open({ capacityBytes: 1024 * KiB })
    const declared = await Promise.all(Array.from({ length: 4 }, async () => chunk(300 * KiB)))
    const outcomes = await Promise.allSettled(declared.map(async c => store.put(c.cid, pieces(c.bytes), { size: c.bytes.byteLength })))
    assert.equal(outcomes.filter(o => o.status === 'fulfilled').length, 3)
    assert.equal(store.usage().usedBytes, 900 * KiB)

    const store2 = await h.open({ capacityBytes: 1024 * KiB })
    const undeclared = await Promise.all(Array.from({ length: 4 }, async () => chunk(300 * KiB)))
    const outcomes2 = await Promise.allSettled(undeclared.map(async c => store2.put(c.cid, pieces(c.bytes, [16 * KiB]))))
    const ok = outcomes2.filter(o => o.status === 'fulfilled').length
    assert.ok(ok < 4 && ok >= 1)
    for (const o of outcomes2) {
      if (o.status === 'rejected') {
        assert.equal((o.reason as { code?: string }).code, 'ERR_STORE_FULL')
      }
    }
    assert.equal(store2.usage().usedBytes, ok * 300 * KiB)
    assert.ok(store2.usage().usedBytes <= 1024 * KiB)
  })

  it('rebuilds usage from the index on reopen', async () => {
    const dir = await h.dir()
    const first = await h.open({ dir, capacityBytes: 1024 * KiB })
    const chunks = await Promise.all([chunk(100 * KiB), chunk(200 * KiB), chunk(3)])
    for (const c of chunks) {
      await first.put(c.cid, c.bytes)
    }
    await first.close()
    const second = await h.open({ dir, capacityBytes: 1024 * KiB })
    assert.equal(second.usage().usedBytes, 300 * KiB + 3)
    assert.equal(second.usage().chunkCount, 3)
    assert.equal(second.usage().freeBytes, 724 * KiB - 3)
  })
})
