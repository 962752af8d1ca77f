import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CHECK_BLOCK_SIZE } from '../../src/store/index.js'
import { Harness, KiB, MiB, chunk, chunkFile, collect, counted, filesUnder, pieces } from './fixtures.js'
import type { ChunkStoredEvent } from '../../src/store/index.js'

const READ_BLOCK = 256 * KiB

describe('chunk store: put and get', () => {
  const h = new Harness()
  afterEach(async () => { await h.cleanup() })

  for (const size of [0, 1, 64 * KiB, 4 * MiB, 4 * MiB + 1]) {
    it(`round-trips a chunk of ${size} bytes, streamed and as one buffer`, async () => {
      const dir = await h.dir()
      const store = await h.open({ dir })
      const { bytes, cid } = await chunk(size)

      const stored: ChunkStoredEvent[] = []
      store.addEventListener('chunk:stored', (evt) => { stored.push(evt.detail) })

      assert.deepEqual(await store.put(cid, pieces(bytes)), { size, existed: false })
      assert.deepEqual(await store.put(cid, bytes), { size, existed: true })

      const seen: Uint8Array[] = []
      assert.ok(Buffer.from(await collect(store.get(cid), seen)).equals(bytes))
      assert.ok(seen.every(p => p.byteLength <= READ_BLOCK), 'a read yields at most one read block at a time')
      assert.deepEqual(await store.has([cid]), [true])
      assert.equal((await store.stat(cid))?.size, size)
      assert.deepEqual(stored.map(e => [e.cid.toString(), e.size]), [[cid.toString(), size]])
      assert.equal(store.usage().usedBytes, size)
      assert.equal(store.usage().chunkCount, 1)

      // on disk: one whole file at the fan-out path, nothing left in tmp
      assert.ok((await fs.readFile(chunkFile(dir, cid))).equals(bytes))
      assert.deepEqual(await filesUnder(path.join(dir, 'tmp')), [])
    })
  }

  it('serves ranges at block and chunk edges', async () => {
    const store = await h.open()
    const size = 4 * MiB + 1
    const { bytes, cid } = await chunk(size)
    await store.put(cid, bytes)
    const B = CHECK_BLOCK_SIZE
    const ranges: Array<[number, number | undefined]> = [
      [0, 0], [0, 1], [size - 1, 1], [size - 1, undefined], [size, 0], [size, undefined],
      [B - 1, 2], [B, B], [B - 1, B + 2], [READ_BLOCK - 1, 2], [1, size - 1], [0, size - 1],
      [0, size], [3 * B + 5, 777], [size - B - 1, B + 1], [123457, undefined]
    ]
    for (const [offset, length] of ranges) {
      const seen: Uint8Array[] = []
      const got = await collect(store.get(cid, { offset, length }), seen)
      const end = length == null ? size : offset + length
      assert.ok(Buffer.from(got).equals(bytes.subarray(offset, end)), `range ${offset}+${length}`)
      assert.ok(seen.every(p => p.byteLength <= READ_BLOCK), 'range reads stream in bounded pieces')
    }
  })

  it('rejects ranges outside the chunk', async () => {
    const store = await h.open()
    const { bytes, cid } = await chunk(1000)
    await store.put(cid, bytes)
    const bad: Array<{ offset?: number, length?: number }> = [
      { offset: 1001 }, { offset: -1 }, { offset: 0, length: 1001 }, { offset: 999, length: 2 },
      { offset: 1.5 }, { length: -1 }, { offset: Number.NaN }
    ]
    for (const range of bad) {
      await assert.rejects(collect(store.get(cid, range)), { code: 'ERR_INVALID_RANGE' }, JSON.stringify(range))
    }
  })

  it('fails a get of an absent chunk with ERR_CHUNK_NOT_FOUND', async () => {
    const store = await h.open()
    const { cid } = await chunk(10)
    await assert.rejects(collect(store.get(cid)), { code: 'ERR_CHUNK_NOT_FOUND' })
    assert.equal(await store.stat(cid), undefined)
    assert.deepEqual(await store.has([cid]), [false])
  })

  it('re-put of a stored chunk drains the source, writes nothing and checks the length', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const { bytes, cid } = await chunk(300 * KiB)
    await store.put(cid, bytes)
    const before = await fs.stat(chunkFile(dir, cid))

    const again = counted(bytes)
    assert.deepEqual(await store.put(cid, again.source, { size: bytes.byteLength }), { size: bytes.byteLength, existed: true })
    assert.ok(again.pulled() > 1, 'the whole source was consumed')
    const after = await fs.stat(chunkFile(dir, cid))
    assert.equal(after.mtimeMs, before.mtimeMs)
    assert.equal(after.ino, before.ino)
    assert.equal(store.usage().usedBytes, bytes.byteLength)

    await assert.rejects(store.put(cid, pieces(bytes.subarray(1))), { code: 'ERR_SIZE_MISMATCH' })
    await assert.rejects(store.put(cid, pieces(bytes), { size: 5 }), { code: 'ERR_SIZE_MISMATCH' })
    assert.ok(Buffer.from(await collect(store.get(cid))).equals(bytes))
  })

  it('concurrent puts of one chunk store it once', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const { bytes, cid } = await chunk(1 * MiB + 3)
    const results = await Promise.all(Array.from({ length: 6 }, async () => store.put(cid, pieces(bytes))))
    assert.equal(results.filter(r => !r.existed).length, 1)
    assert.ok(results.every(r => r.size === bytes.byteLength))
    assert.deepEqual(store.usage(), { ...store.usage(), usedBytes: bytes.byteLength, chunkCount: 1 })
    assert.ok(Buffer.from(await collect(store.get(cid))).equals(bytes))
    assert.deepEqual(await filesUnder(path.join(dir, 'tmp')), [])
    assert.deepEqual(await filesUnder(path.join(dir, 'chunks')), [path.relative(path.join(dir, 'chunks'), chunkFile(dir, cid))])
  })

  it('concurrent puts of different chunks all land', async () => {
    const store = await h.open()
    const chunks = await Promise.all(Array.from({ length: 20 }, async (_, i) => chunk(i * 10 * KiB + i)))
    await Promise.all(chunks.map(async c => store.put(c.cid, pieces(c.bytes))))
    for (const c of chunks) {
      assert.ok(Buffer.from(await collect(store.get(c.cid))).equals(c.bytes))
    }
    assert.equal(store.usage().chunkCount, 20)
    assert.equal(store.usage().usedBytes, chunks.reduce((n, c) => n + c.bytes.byteLength, 0))
  })

  it('keeps chunks across a close and reopen', async () => {
    const dir = await h.dir()
    const first = await h.open({ dir })
    const a = await chunk(70 * KiB)
    const b = await chunk(0)
    await first.put(a.cid, a.bytes)
    await first.put(b.cid, b.bytes)
    await first.close()
    await assert.rejects(first.put(a.cid, a.bytes), { code: 'ERR_STORE_CLOSED' })

    const second = await h.open({ dir })
    assert.deepEqual(await second.has([a.cid, b.cid]), [true, true])
    assert.equal(second.usage().usedBytes, 70 * KiB)
    assert.equal(second.usage().chunkCount, 2)
    assert.ok(Buffer.from(await collect(second.get(a.cid, { offset: 5, length: 70000 }))).equals(a.bytes.subarray(5, 70005)))
  })
})
