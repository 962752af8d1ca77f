import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Level } from 'level'
import { Harness, KiB, chunk, chunkFile, collect, filesUnder, flipByte, pieces, stalled } from './fixtures.js'
import type { CID } from 'multiformats/cid'

/** remove a chunk's index entry behind the store's back (the store must be closed) */
async function dropIndexEntry (dir: string, cid: CID): Promise<void> {
  const db = new Level<string, unknown>(path.join(dir, 'meta'), { valueEncoding: 'json' })
  await db.open()
  try {
    const chunks = db.sublevel<string, unknown>('chunks', { valueEncoding: 'json' })
    const key = Buffer.from(cid.multihash.digest).toString('hex')
    assert.notEqual(await chunks.get(key), undefined, 'the entry existed')
    await chunks.del(key)
  } finally {
    await db.close()
  }
}

describe('chunk store: crash recovery', () => {
  const h = new Harness()
  afterEach(async () => { await h.cleanup() })

  it('empties tmp at start (a write cut short by a crash)', async () => {
    const dir = await h.dir()
    const first = await h.open({ dir })
    await first.close()
    const { bytes } = await chunk(100 * KiB)
    await fs.writeFile(path.join(dir, 'tmp', 'deadbeef.tmp'), bytes.subarray(0, 5000))
    await fs.mkdir(path.join(dir, 'tmp', 'odd-dir'))
    const second = await h.open({ dir })
    assert.deepEqual(await fs.readdir(path.join(dir, 'tmp')), [])
    assert.equal(second.usage().chunkCount, 0)
  })

  it('indexes a whole chunk file that has no index entry (crash between rename and index)', async () => {
    const dir = await h.dir()
    const first = await h.open({ dir })
    const kept = await chunk(10 * KiB)
    const orphan = await chunk(200 * KiB + 9)
    await first.put(kept.cid, kept.bytes)
    await first.put(orphan.cid, orphan.bytes)
    await first.close()
    await dropIndexEntry(dir, orphan.cid)

    const second = await h.open({ dir })
    assert.deepEqual(await second.has([kept.cid, orphan.cid]), [true, true])
    assert.equal(second.usage().usedBytes, 210 * KiB + 9)
    assert.equal(second.usage().chunkCount, 2)
    assert.ok(Buffer.from(await collect(second.get(orphan.cid))).equals(orphan.bytes))
    // the CRC table was rebuilt too: range reads work
    assert.ok(Buffer.from(await collect(second.get(orphan.cid, { offset: 70000, length: 70000 }))).equals(orphan.bytes.subarray(70000, 140000)))
  })

  it('quarantines an unindexed chunk file whose bytes do not match its name', async () => {
    const dir = await h.dir()
    const first = await h.open({ dir })
    const { bytes, cid } = await chunk(50 * KiB)
    await first.put(cid, bytes)
    await first.close()
    await dropIndexEntry(dir, cid)
    await flipByte(chunkFile(dir, cid), 1234)

    const second = await h.open({ dir })
    assert.deepEqual(await second.has([cid]), [false])
    assert.equal(second.counters().corruptChunks, 1)
    assert.equal((await fs.readdir(path.join(dir, 'quarantine'))).length, 1)
    await assert.rejects(fs.stat(chunkFile(dir, cid)), { code: 'ENOENT' })
  })

  it('drops an index entry whose file is gone (crash during delete)', async () => {
    const dir = await h.dir()
    const first = await h.open({ dir })
    const a = await chunk(1000)
    const b = await chunk(2000)
    await first.put(a.cid, a.bytes)
    await first.put(b.cid, b.bytes)
    await first.close()
    await fs.rm(chunkFile(dir, a.cid))

    const second = await h.open({ dir })
    assert.deepEqual(await second.has([a.cid, b.cid]), [false, true])
    assert.equal(second.usage().usedBytes, 2000)
    const listed = []
    for await (const c of second.list()) {
      listed.push(c.cid.toString())
    }
    assert.deepEqual(listed, [b.cid.toString()])
  })

  it('adopts chunk files placed by hand and leaves stray files alone', async () => {
    const dir = await h.dir()
    const chunks = await Promise.all(Array.from({ length: 12 }, async (_, i) => chunk(i * 1000)))
    for (const c of chunks) {
      await fs.mkdir(path.dirname(chunkFile(dir, c.cid)), { recursive: true })
      await fs.writeFile(chunkFile(dir, c.cid), c.bytes)
    }
    await fs.writeFile(path.join(dir, 'chunks', 'README'), 'not a chunk')
    await fs.mkdir(path.join(dir, 'chunks', 'ab', 'cd'), { recursive: true })
    await fs.writeFile(path.join(dir, 'chunks', 'ab', 'cd', 'junk'), 'not a chunk either')

    const store = await h.open({ dir })
    assert.equal(store.usage().chunkCount, 12)
    assert.deepEqual(await store.has(chunks.map(c => c.cid)), chunks.map(() => true))
    const files = await filesUnder(path.join(dir, 'chunks'))
    assert.ok(files.includes('README') && files.includes(path.join('ab', 'cd', 'junk')))
  })

  it('an aborted put leaves nothing behind, even while the source is stalled', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir, capacityBytes: 100 * KiB })
    const { bytes, cid } = await chunk(100 * KiB)
    const { source, waiting, release } = stalled(bytes.subarray(0, 1000))
    const controller = new AbortController()
    const put = store.put(cid, source, { signal: controller.signal })
    await waiting
    assert.equal((await fs.readdir(path.join(dir, 'tmp'))).length, 1, 'a temp file is being written')
    controller.abort()
    await assert.rejects(put, { name: 'AbortError' })
    release()
    assert.deepEqual(await fs.readdir(path.join(dir, 'tmp')), [])
    assert.deepEqual(await store.has([cid]), [false])
    // its reservation was given back: the whole capacity can be claimed
    assert.equal((await store.put(cid, pieces(bytes), { size: bytes.byteLength })).existed, false)
  })

  it('a source that fails mid-stream leaves nothing behind', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const { bytes, cid } = await chunk(200 * KiB)
    const failing = (async function * () {
      yield bytes.subarray(0, 100 * KiB)
      throw new Error('connection reset')
    })()
    await assert.rejects(store.put(cid, failing), /connection reset/)
    assert.deepEqual(await fs.readdir(path.join(dir, 'tmp')), [])
    assert.deepEqual(await store.has([cid]), [false])
    assert.equal((await store.put(cid, pieces(bytes))).existed, false)
  })

  it('close() aborts puts in flight and leaves no temp file', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const { bytes, cid } = await chunk(100 * KiB)
    const { source, waiting, release } = stalled(bytes.subarray(0, 1000))
    const put = store.put(cid, source).then(() => undefined, (err: unknown) => err)
    await waiting
    assert.equal((await fs.readdir(path.join(dir, 'tmp'))).length, 1, 'a temp file is being written')
    await store.close()
    assert.equal((await put as { code?: string }).code, 'ERR_STORE_CLOSED')
    release()
    assert.deepEqual(await fs.readdir(path.join(dir, 'tmp')), [])
  })

  it('shares a db it is given and leaves it open on close', async () => {
    const dir = await h.dir()
    const db = new Level<string, unknown>(path.join(dir, 'meta'), { valueEncoding: 'json' })
    await db.open()
    try {
      const store = await h.open({ dir, db })
      const { bytes, cid } = await chunk(5000)
      await store.put(cid, pieces(bytes))
      await store.close()
      assert.equal(db.status, 'open')
      const again = await h.open({ dir, db })
      assert.deepEqual(await again.has([cid]), [true])
      await again.close()
    } finally {
      await db.close()
    }
  })
})
