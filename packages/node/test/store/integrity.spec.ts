import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { ChunkTooLargeError as WireChunkTooLargeError, HashMismatchError as WireHashMismatchError } from '@weft/protocol'
import { CHECK_BLOCK_SIZE, ChunkTooLargeError, HashMismatchError } from '../../src/store/index.js'
import { Harness, KiB, MiB, chunk, chunkFile, cidOf, collect, counted, filesUnder, flipByte, pieces } from './fixtures.js'
import type { ChunkCorruptEvent } from '../../src/store/index.js'

describe('chunk store: integrity', () => {
  const h = new Harness()
  afterEach(async () => { await h.cleanup() })

  it('rejects bytes that do not hash to the id and stores nothing', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const { cid } = await chunk(100 * KiB)
    const other = await chunk(100 * KiB)
    await assert.rejects(store.put(cid, pieces(other.bytes)), { code: 'ERR_HASH_MISMATCH' })
    await assert.rejects(store.put(cid, other.bytes), { code: 'ERR_HASH_MISMATCH' })
    assert.deepEqual(await store.has([cid, other.cid]), [false, false])
    assert.deepEqual(await filesUnder(dir).then(f => f.filter(n => !n.startsWith('meta'))), [])
    assert.equal(store.usage().usedBytes, 0)
    assert.equal(store.usage().chunkCount, 0)
    assert.equal(store.counters().hashMismatches, 2)
    // the right bytes still go in afterwards
    assert.equal((await store.put(other.cid, other.bytes)).existed, false)
  })

  it('holds the byte count to the declared size', async () => {
    const store = await h.open()
    const { bytes, cid } = await chunk(10 * KiB)
    await assert.rejects(store.put(cid, pieces(bytes), { size: bytes.byteLength - 1 }), { code: 'ERR_SIZE_MISMATCH' })
    await assert.rejects(store.put(cid, pieces(bytes), { size: bytes.byteLength + 1 }), { code: 'ERR_SIZE_MISMATCH' })
    await assert.rejects(store.put(cid, bytes, { size: 3 }), { code: 'ERR_SIZE_MISMATCH' })
    assert.deepEqual(await store.has([cid]), [false])
  })

  it('refuses chunks over maxChunkSize, declared before reading and undeclared while streaming', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir, maxChunkSize: 100 * KiB })
    const big = await chunk(100 * KiB + 1)
    const src = counted(big.bytes)
    await assert.rejects(store.put(big.cid, src.source, { size: big.bytes.byteLength }), { code: 'ERR_CHUNK_TOO_LARGE' })
    assert.equal(src.pulled(), 0, 'no byte read when the declared size is too large')
    await assert.rejects(store.put(big.cid, pieces(big.bytes)), { code: 'ERR_CHUNK_TOO_LARGE' })
    await assert.rejects(store.put(big.cid, big.bytes), { code: 'ERR_CHUNK_TOO_LARGE' })
    assert.deepEqual(await filesUnder(path.join(dir, 'tmp')), [])
    const fits = await chunk(100 * KiB)
    assert.equal((await store.put(fits.cid, pieces(fits.bytes))).existed, false)
  })

  it('store errors are the protocol classes for shared failure modes', async () => {
    const store = await h.open({ maxChunkSize: 10 })
    const { bytes, cid } = await chunk(11)
    const err = await store.put(cid, bytes).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof WireChunkTooLargeError)
    assert.ok(err instanceof ChunkTooLargeError)
    assert.equal(err.code, 'ERR_CHUNK_TOO_LARGE')
    assert.equal(err.maxChunkSize, 10)
    assert.equal(new HashMismatchError('x').code, 'ERR_HASH_MISMATCH')
    assert.ok(new HashMismatchError('x') instanceof WireHashMismatchError)
  })

  it('accepts only CIDv1 raw sha2-256 ids', async () => {
    const store = await h.open()
    const bytes = new TextEncoder().encode('hello')
    const good = await cidOf(bytes)
    const bad = [
      CID.createV0(await sha256.digest(bytes)),
      CID.createV1(0x71, await sha256.digest(bytes)),
      CID.createV1(raw.code, await sha512.digest(bytes)),
      CID.createV1(raw.code, identity.digest(bytes))
    ]
    for (const cid of bad) {
      await assert.rejects(store.put(cid, bytes), { code: 'ERR_INVALID_CID' })
      await assert.rejects(collect(store.get(cid)), { code: 'ERR_INVALID_CID' })
      await assert.rejects(store.has([good, cid]), { code: 'ERR_INVALID_CID' })
    }
  })

  it('detects a flipped byte on a full read, withholds the last block and quarantines the copy', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const { bytes, cid } = await chunk(1 * MiB)
    await store.put(cid, bytes)
    const corrupt: ChunkCorruptEvent[] = []
    store.addEventListener('chunk:corrupt', (evt) => { corrupt.push(evt.detail) })

    await flipByte(chunkFile(dir, cid), 512 * KiB + 17)
    const seen: Uint8Array[] = []
    await assert.rejects(collect(store.get(cid), seen), { code: 'ERR_CHUNK_CORRUPT' })
    const served = seen.reduce((n, p) => n + p.byteLength, 0)
    assert.ok(served < bytes.byteLength, 'the complete (bad) chunk was never handed out')

    assert.equal(corrupt.length, 1)
    assert.equal(corrupt[0]?.cid.toString(), cid.toString())
    assert.equal(store.counters().corruptChunks, 1)
    assert.deepEqual(await store.has([cid]), [false])
    assert.equal(store.usage().usedBytes, 0)
    const quarantined = await fs.readdir(path.join(dir, 'quarantine'))
    assert.equal(quarantined.length, 1)
    assert.ok(quarantined[0]?.startsWith(cid.toString()))
    await assert.rejects(fs.stat(chunkFile(dir, cid)), { code: 'ENOENT' })
    // a good copy can be put back
    assert.equal((await store.put(cid, bytes)).existed, false)
    assert.ok(Buffer.from(await collect(store.get(cid))).equals(bytes))
  })

  it('detects a flipped last byte and a truncated file', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const one = await chunk(1)
    const other = await chunk(300 * KiB)
    await store.put(one.cid, one.bytes)
    await store.put(other.cid, other.bytes)
    await flipByte(chunkFile(dir, one.cid), 0)
    await fs.truncate(chunkFile(dir, other.cid), 300 * KiB - 1)
    await assert.rejects(collect(store.get(one.cid)), { code: 'ERR_CHUNK_CORRUPT' })
    await assert.rejects(collect(store.get(other.cid, { offset: 10, length: 10 })), { code: 'ERR_CHUNK_CORRUPT' })
    assert.equal(store.counters().corruptChunks, 2)
    assert.equal(store.usage().chunkCount, 0)
  })

  it('detects a file longer than its index entry on a full read (no fstat: the last read asks for a spare byte)', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const empty = await chunk(0)
    const small = await chunk(114660)
    const big = await chunk(2 * MiB + 5)
    for (const c of [empty, small, big]) await store.put(c.cid, c.bytes)
    // intact copies read back whole first
    for (const c of [empty, small, big]) assert.deepEqual(await collect(store.get(c.cid)), Buffer.from(c.bytes))
    for (const c of [empty, small, big]) await fs.appendFile(chunkFile(dir, c.cid), Buffer.from([0]))
    for (const c of [empty, small, big]) await assert.rejects(collect(store.get(c.cid)), { code: 'ERR_CHUNK_CORRUPT' })
    assert.equal(store.counters().corruptChunks, 3)
    assert.equal(store.usage().chunkCount, 0)
  })

  it('range reads check the blocks they touch and serve intact blocks', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const { bytes, cid } = await chunk(1 * MiB)
    await store.put(cid, bytes)
    const B = CHECK_BLOCK_SIZE
    await flipByte(chunkFile(dir, cid), 5 * B + 100)

    // blocks 0-4 and 6.. are intact
    assert.ok(Buffer.from(await collect(store.get(cid, { offset: 10, length: 5 * B - 10 }))).equals(bytes.subarray(10, 5 * B)))
    assert.ok(Buffer.from(await collect(store.get(cid, { offset: 6 * B, length: B }))).equals(bytes.subarray(6 * B, 7 * B)))
    assert.deepEqual(await store.has([cid]), [true])

    // any range touching block 5, even one byte of it not the flipped one
    await assert.rejects(collect(store.get(cid, { offset: 6 * B - 1, length: 1 })), { code: 'ERR_CHUNK_CORRUPT' })
    assert.deepEqual(await store.has([cid]), [false])
  })

  it('verify() re-hashes: true when intact, false and quarantined when not', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const good = await chunk(200 * KiB)
    const bad = await chunk(200 * KiB)
    const gone = await chunk(10)
    for (const c of [good, bad, gone]) {
      await store.put(c.cid, c.bytes)
    }
    await flipByte(chunkFile(dir, bad.cid), 0)
    await fs.rm(chunkFile(dir, gone.cid))
    const reasons: string[] = []
    store.addEventListener('chunk:corrupt', (evt) => { reasons.push(evt.detail.reason) })

    assert.equal(await store.verify(good.cid), true)
    assert.equal(await store.verify(bad.cid), false)
    assert.equal(await store.verify(gone.cid), false)
    assert.deepEqual(reasons, ['sha2-256 mismatch', 'file missing'])
    assert.deepEqual(await store.has([good.cid, bad.cid, gone.cid]), [true, false, false])
    await assert.rejects(store.verify(bad.cid), { code: 'ERR_CHUNK_NOT_FOUND' })
    assert.deepEqual(store.usage(), { ...store.usage(), usedBytes: 200 * KiB, chunkCount: 1 })
    assert.equal(store.counters().corruptChunks, 2)
  })

  it('quarantine() moves a chunk aside on request', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const { bytes, cid } = await chunk(1000)
    await store.put(cid, bytes)
    assert.equal(await store.quarantine(cid, 'scrub said so'), true)
    assert.equal(await store.quarantine(cid, 'again'), false)
    assert.deepEqual(await store.has([cid]), [false])
    const [name] = await fs.readdir(path.join(dir, 'quarantine'))
    assert.ok(Buffer.from(await fs.readFile(path.join(dir, 'quarantine', name ?? ''))).equals(bytes))
  })
})
