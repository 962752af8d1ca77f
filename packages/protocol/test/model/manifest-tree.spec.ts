import assert from 'node:assert/strict'
import { chunkEntry, planBlockRead, verifyBlockRead } from '../../src/model/blocks.js'
import { InvalidManifestError, InvalidRangeError } from '../../src/model/errors.js'
import { decodeManifestNode, encodeManifestNode, encodeRootHeader } from '../../src/model/manifest.js'
import { ManifestBuilder } from '../../src/model/manifest-builder.js'
import { estimateManifest } from '../../src/model/manifest-estimate.js'
import { ManifestReader } from '../../src/model/manifest-reader.js'
import { fakeEntry, MemoryChunks, prng, randomBytes, randomInt } from './helpers.js'
import type { ManifestIndex, ManifestLeaf } from '../../src/model/manifest.js'

const version = { wallMs: 1_700_000_000_000, counter: 0, writer: '12D3KooWWriter' }
const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

function isManifestError (err: unknown): boolean {
  return err instanceof InvalidManifestError && err.code === 'ERR_INVALID_MANIFEST'
}

interface Built {
  object: Uint8Array
  chunks: MemoryChunks
  reader: ManifestReader
  height: number
  nodes: number
}

/** A real object of random bytes cut into random-sized chunks, its manifest built with small nodes. */
async function buildObject (seed: number, chunkCount: number, maxNodeBytes: number, blockSize = KiB): Promise<Built> {
  const rand = prng(seed)
  const store = new MemoryChunks()
  const builder = new ManifestBuilder({ writeChunk: store.writeChunk, version, blockSize, maxNodeBytes })
  const parts: Uint8Array[] = []
  for (let i = 0; i < chunkCount; i++) {
    const chunk = randomBytes(rand, randomInt(rand, 1, 6 * KiB))
    parts.push(chunk)
    await store.writeChunk(chunk)
    await builder.add(chunkEntry(chunk, blockSize))
  }
  const result = await builder.finish()
  const object = Buffer.concat(parts)
  assert.equal(result.info.size, object.length)
  assert.equal(result.info.chunkCount, chunkCount)
  const reader = await ManifestReader.open(result.cid, store)
  return { object, chunks: store, reader, height: result.height, nodes: result.nodes }
}

/** Reads [offset, offset+length) the way a client will: slices -> block plans -> verify -> concat. */
async function readRange (b: Built, offset: number, length: number): Promise<Uint8Array> {
  const out: Uint8Array[] = []
  for await (const slice of b.reader.range(offset, length)) {
    const chunk = await b.chunks.readChunk(slice.cid)
    const plan = planBlockRead(slice, b.reader.info.blockSize, slice.start, slice.end)
    out.push(verifyBlockRead(plan, chunk.subarray(plan.fetchStart, plan.fetchEnd)))
  }
  return Buffer.concat(out)
}

describe('model/manifest tree (builder and reader)', () => {
  it('builds a multi-level tree with small nodes and reads every chunk back in order', async () => {
    const b = await buildObject(1, 600, 512)
    assert.ok(b.height >= 3, `height ${b.height}`)
    const seen: number[] = []
    let offset = 0
    for await (const slice of b.reader.chunks()) {
      assert.equal(slice.offset, offset)
      assert.equal(slice.start, 0)
      assert.equal(slice.end, slice.size)
      seen.push(slice.size)
      offset += slice.size
    }
    assert.equal(seen.length, 600)
    assert.equal(offset, b.object.length)
    assert.deepEqual(await readRange(b, 0, b.object.length), b.object)
    // every node is at most maxNodeBytes and every non-root node decodes
    for (const bytes of b.chunks.chunks.values()) {
      if (bytes[0] === 0x57 && bytes[1] === 0x4d) assert.ok(bytes.length <= 512)
    }
  })

  it('range resolution matches a brute-force reference over random ranges', async () => {
    const b = await buildObject(2, 300, 400)
    const rand = prng(22)
    // reference: the flat list of chunk extents
    const extents: Array<{ offset: number, size: number }> = []
    for await (const s of b.reader.chunks()) extents.push({ offset: s.offset, size: s.size })
    const size = b.object.length
    for (let i = 0; i < 300; i++) {
      const offset = randomInt(rand, 0, size)
      const length = rand() < 0.1 ? randomInt(rand, 0, size * 2) : randomInt(rand, 0, 20 * KiB)
      const end = Math.min(offset + length, size)
      const expected = extents
        .filter(e => e.offset < end && e.offset + e.size > offset)
        .map(e => ({ offset: e.offset, start: Math.max(offset - e.offset, 0), end: Math.min(end - e.offset, e.size) }))
      const got = (await b.reader.resolveRange(offset, length)).map(s => ({ offset: s.offset, start: s.start, end: s.end }))
      assert.deepEqual(got, expected, `range ${offset}+${length}`)
      if (i % 5 === 0) assert.deepEqual(await readRange(b, offset, length), b.object.subarray(offset, end))
    }
  })

  it('rejects ranges starting past the end; clips lengths at the end', async () => {
    const b = await buildObject(3, 20, 1024)
    const size = b.object.length
    assert.deepEqual(await b.reader.resolveRange(size, 10), [])
    assert.deepEqual(await readRange(b, size - 5, 100), b.object.subarray(size - 5))
    for (const [o, l] of [[size + 1, 1], [-1, 5], [0, -1], [1.5, 2]]) {
      await assert.rejects(b.reader.resolveRange(o!, l!), (err: unknown) => err instanceof InvalidRangeError && err.code === 'ERR_INVALID_RANGE')
    }
  })

  it('a range read touches only the nodes on its path', async () => {
    const b = await buildObject(4, 600, 512)
    b.chunks.reads = 0
    await b.reader.resolveRange(b.object.length - 10, 10)
    assert.equal(b.chunks.reads, b.height, 'one node per level below the root')
  })

  it('a 100 GiB object: 4 MiB leaves, depth 2, the last byte costs 2 node reads', async function () {
    this.timeout(120_000)
    const rand = prng(5)
    const store = new MemoryChunks()
    const builder = new ManifestBuilder({ writeChunk: store.writeChunk, version })
    const chunks = (100 * GiB) / (4 * MiB)
    for (let i = 0; i < chunks; i++) await builder.add(fakeEntry(rand, 4 * MiB, 256 * KiB))
    const result = await builder.finish()
    const estimate = estimateManifest(100 * GiB)

    const root = decodeManifestNode(result.bytes) as ManifestIndex
    assert.equal(root.kind, 'index')
    const firstLeaf = decodeManifestNode(await store.readChunk(root.children[0]!.cid)) as ManifestLeaf
    assert.equal(estimate.leafEntryBytes, 548, '4 B size + 32 B id + 16 x 32 B block hashes')
    assert.equal(firstLeaf.entries.length, estimate.entriesPerLeaf)
    assert.equal(estimate.entriesPerLeaf, 7653)
    assert.equal(result.height, estimate.height)
    assert.equal(result.height, 1)
    assert.equal(result.nodes, estimate.nodes)
    assert.equal(result.nodes, 5)

    const reader = await ManifestReader.open(result.cid, store)
    store.reads = 0
    const slices = await reader.resolveRange(100 * GiB - MiB, MiB)
    assert.equal(store.reads, 1, 'one leaf below the (already read) root')
    assert.equal(slices.length, 1)
    assert.deepEqual([slices[0]!.start, slices[0]!.end], [3 * MiB, 4 * MiB])
  })

  it('estimates tree depth for 1 PiB, and agrees with the builder on small nodes', async () => {
    const pib = estimateManifest(2 ** 50)
    assert.equal(pib.chunks, 2 ** 28)
    assert.equal(pib.height, 1, '35,076 leaves fit under one 4 MiB index node')
    const eb = estimateManifest(2 ** 60)
    assert.equal(eb.height, 2)
    // small nodes, fixed-size chunks: estimate == built
    for (const [count, maxNodeBytes] of [[1000, 512], [5000, 1024], [50, 300], [3, 300], [1, 256], [7, 300], [400, 4096]]) {
      const rand = prng(count!)
      const store = new MemoryChunks()
      const builder = new ManifestBuilder({ writeChunk: store.writeChunk, version, blockSize: KiB, maxNodeBytes })
      for (let i = 0; i < count!; i++) await builder.add(fakeEntry(rand, 4 * KiB, KiB))
      const result = await builder.finish()
      const rootHeaderBytes = encodeRootHeader({ size: count! * 4 * KiB, chunkCount: count!, etagHash: new Uint8Array(16), metadata: {}, version }).length
      const estimate = estimateManifest(count! * 4 * KiB, { chunkSize: 4 * KiB, blockSize: KiB, maxNodeBytes, rootHeaderBytes })
      assert.equal(result.height, estimate.height, `height for ${count} chunks at ${maxNodeBytes}`)
      assert.equal(result.nodes, estimate.nodes, `nodes for ${count} chunks at ${maxNodeBytes}`)
    }
  })

  it('keeps at most one node per level in memory (flushes as it goes)', async () => {
    const rand = prng(6)
    const store = new MemoryChunks()
    const builder = new ManifestBuilder({ writeChunk: store.writeChunk, version, blockSize: KiB, maxNodeBytes: 512 })
    for (let i = 0; i < 200; i++) await builder.add(fakeEntry(rand, 2 * KiB, KiB))
    // 200 entries of ~100 B at 512 B per node must already have been written out
    assert.ok(store.writes >= 40, `writes ${store.writes}`)
    assert.ok(store.bytesWritten >= 200 * 100 - 4 * 512)
    await builder.finish()
  })

  it('an empty object has a one-node manifest and no chunks', async () => {
    const store = new MemoryChunks()
    const result = await new ManifestBuilder({ writeChunk: store.writeChunk, version }).finish()
    assert.equal(result.info.size, 0)
    const reader = await ManifestReader.open(result.cid, store)
    const all = []
    for await (const s of reader.chunks()) all.push(s)
    assert.equal(all.length, 0)
    assert.deepEqual(await reader.resolveRange(0, 100), [])
  })

  it('rejects a tree whose child disagrees with its parent', async () => {
    const rand = prng(7)
    const store = new MemoryChunks()
    const leafA: ManifestLeaf = { kind: 'leaf', height: 0, blockSize: KiB, size: 500, chunkCount: 1, entries: [fakeEntry(rand, 500, KiB)] }
    const leafCid = await store.writeChunk(encodeManifestNode(leafA))
    const header = { size: 500, chunkCount: 1, etagHash: new Uint8Array(16), metadata: {}, version }
    const rootOf = async (child: { size: number, chunkCount: number }, height = 1, blockSize = KiB): Promise<ManifestReader> => {
      const root: ManifestIndex = { kind: 'index', height, blockSize, size: child.size, chunkCount: child.chunkCount, children: [{ cid: leafCid, ...child }] }
      const cid = await store.writeChunk(encodeManifestNode(root, { ...header, ...child }))
      return ManifestReader.open(cid, store)
    }
    await assert.rejects((await rootOf({ size: 501, chunkCount: 1 })).resolveRange(0, 1), isManifestError)
    await assert.rejects((await rootOf({ size: 500, chunkCount: 1 }, 2)).resolveRange(0, 1), isManifestError)
    await assert.rejects((await rootOf({ size: 500, chunkCount: 1 }, 1, 2 * KiB)).resolveRange(0, 1), isManifestError)
    // structurally fine, but the ETag does not match the chunk ids: a full read says so
    const reader = await rootOf({ size: 500, chunkCount: 1 })
    assert.equal((await reader.resolveRange(0, 1)).length, 1)
    await assert.rejects((async () => { for await (const _ of reader.chunks()) { /* drain */ } })(), isManifestError)
    // a child that is itself a root
    const rootLeaf = await store.writeChunk(encodeManifestNode(leafA, header))
    const bad: ManifestIndex = { kind: 'index', height: 1, blockSize: KiB, size: 500, chunkCount: 1, children: [{ cid: rootLeaf, size: 500, chunkCount: 1 }] }
    const badReader = await ManifestReader.open(await store.writeChunk(encodeManifestNode(bad, header)), store)
    await assert.rejects(badReader.resolveRange(0, 1), isManifestError)
    // a non-root node cannot be opened as a manifest
    await assert.rejects(ManifestReader.open(leafCid, store), isManifestError)
  })

  it('validates builder input', async () => {
    const store = new MemoryChunks()
    const rand = prng(8)
    assert.throws(() => new ManifestBuilder({ writeChunk: store.writeChunk, version, blockSize: 3000 }), RangeError)
    assert.throws(() => new ManifestBuilder({ writeChunk: store.writeChunk, version, maxNodeBytes: 100 }), RangeError)
    assert.throws(() => new ManifestBuilder({ writeChunk: store.writeChunk, version, maxNodeBytes: 300, metadata: { big: 'x'.repeat(1000) } }), RangeError)
    const builder = new ManifestBuilder({ writeChunk: store.writeChunk, version, blockSize: KiB })
    await assert.rejects(builder.add({ ...fakeEntry(rand, 3000, KiB), blockHashes: new Uint8Array(32) }), RangeError)
    await assert.rejects(builder.add(fakeEntry(rand, 0, KiB)), RangeError)
    await builder.finish()
    await assert.rejects(builder.finish(), /already finished/)
    // one call at a time: the 8th 33-byte entry overflows a 256-byte leaf and waits on a slow write
    const slow = new ManifestBuilder({
      writeChunk: async (bytes) => { await new Promise(resolve => setTimeout(resolve, 20)); return store.writeChunk(bytes) },
      version,
      blockSize: KiB,
      maxNodeBytes: 256
    })
    for (let i = 0; i < 7; i++) await slow.add(fakeEntry(rand, 10, KiB))
    const pending = slow.add(fakeEntry(rand, 10, KiB))
    await assert.rejects(slow.add(fakeEntry(rand, 10, KiB)), /one at a time/)
    await pending
    assert.equal((await slow.finish()).info.chunkCount, 8)
  })

  it('a failed write poisons the builder (the put must restart)', async () => {
    const rand = prng(9)
    let fail = false
    const store = new MemoryChunks()
    const builder = new ManifestBuilder({
      writeChunk: async (bytes) => { if (fail) throw new Error('disk full'); return store.writeChunk(bytes) },
      version,
      blockSize: KiB,
      maxNodeBytes: 300
    })
    await builder.add(fakeEntry(rand, 100, KiB))
    fail = true
    await assert.rejects((async () => { for (let i = 0; i < 20; i++) await builder.add(fakeEntry(rand, 100, KiB)) })(), /disk full/)
    fail = false
    await assert.rejects(builder.add(fakeEntry(rand, 100, KiB)), /start a new one/)
  })

  it('honours abort signals', async () => {
    const store = new MemoryChunks()
    const b = await buildObject(10, 50, 300)
    const controller = new AbortController()
    controller.abort()
    await assert.rejects(b.reader.resolveRange(0, 100, { signal: controller.signal }), { name: 'AbortError' })
    const builder = new ManifestBuilder({ writeChunk: store.writeChunk, version })
    await assert.rejects(builder.finish({ signal: controller.signal }), { name: 'AbortError' })
  })
})
