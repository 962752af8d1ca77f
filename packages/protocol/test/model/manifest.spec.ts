import assert from 'node:assert/strict'
import { chunkEntry } from '../../src/model/blocks.js'
import { MAX_MANIFEST_NODE_SIZE } from '../../src/model/constants.js'
import { InvalidManifestError } from '../../src/model/errors.js'
import { formatEtag } from '../../src/model/etag.js'
import { decodeManifestNode, encodeManifestNode } from '../../src/model/manifest.js'
import { ManifestBuilder } from '../../src/model/manifest-builder.js'
import { fakeEntry, MemoryChunks, mutate, prng, randomBytes, randomInt } from './helpers.js'
import type { ManifestIndex, ManifestLeaf, RootHeader } from '../../src/model/manifest.js'

const version = { wallMs: 1_700_000_000_000, counter: 3, writer: '12D3KooWWriter' }

function isManifestError (err: unknown): boolean {
  return err instanceof InvalidManifestError && err.code === 'ERR_INVALID_MANIFEST'
}

/** Valid encodings of every node shape, to mutate. */
async function samples (): Promise<Uint8Array[]> {
  const rand = prng(11)
  const out: Uint8Array[] = []
  // root leaf with metadata, content type and multi-block chunks
  const store = new MemoryChunks()
  const b1 = new ManifestBuilder({ writeChunk: store.writeChunk, version, contentType: 'text/plain; charset=utf-8', metadata: { owner: 'ada', 'x-y': 'ünï' }, blockSize: 1024 })
  for (let i = 0; i < 3; i++) await b1.add(chunkEntry(randomBytes(rand, randomInt(rand, 1, 5000)), 1024))
  out.push((await b1.finish()).bytes)
  // a tree: non-root leaves and index nodes
  const tree = new MemoryChunks()
  const b2 = new ManifestBuilder({ writeChunk: tree.writeChunk, version, blockSize: 1024, maxNodeBytes: 400 })
  for (let i = 0; i < 40; i++) await b2.add(fakeEntry(rand, randomInt(rand, 1, 3000), 1024))
  out.push(...tree.chunks.values())
  // the empty object
  const b3 = new ManifestBuilder({ writeChunk: store.writeChunk, version })
  out.push((await b3.finish()).bytes)
  return out
}

describe('model/manifest (encoding)', () => {
  it('round-trips a root leaf: entries, sizes, block hashes and object header', async () => {
    const rand = prng(1)
    const chunks = [5000, 1024, 1, 4096].map(n => randomBytes(rand, n))
    const entries = chunks.map(c => chunkEntry(c, 1024))
    const store = new MemoryChunks()
    const builder = new ManifestBuilder({ writeChunk: store.writeChunk, version, contentType: 'application/x-tfrecord', metadata: { z: '1', a: 'two' }, blockSize: 1024 })
    for (const e of entries) await builder.add(e)
    const result = await builder.finish()
    assert.equal(result.height, 0)
    assert.equal(result.nodes, 1)
    const node = decodeManifestNode(result.bytes) as ManifestLeaf
    assert.equal(node.kind, 'leaf')
    assert.equal(node.entries.length, 4)
    node.entries.forEach((e, i) => {
      assert.ok(e.cid.equals(entries[i]!.cid))
      assert.equal(e.size, entries[i]!.size)
      assert.deepEqual(e.blockHashes, entries[i]!.blockHashes)
    })
    assert.equal(node.entries[0]!.blockHashes.length, 5 * 32)
    assert.equal(node.entries[1]!.blockHashes.length, 0)
    assert.deepEqual(node.info, result.info)
    assert.deepEqual(node.info, {
      size: 5000 + 1024 + 1 + 4096,
      chunkCount: 4,
      etag: result.info.etag,
      contentType: 'application/x-tfrecord',
      metadata: { a: 'two', z: '1' },
      version,
      blockSize: 1024
    })
    assert.match(result.info.etag, /^[0-9a-f]{32}-4$/)
    // re-encoding the decoded node gives the same bytes (canonical form)
    const header: RootHeader = { ...node.info, etagHash: Buffer.from(result.info.etag.slice(0, 32), 'hex') }
    assert.deepEqual(encodeManifestNode(node, header), result.bytes)
  })

  it('ETag depends on content only: same chunks, other metadata and version, same ETag', async () => {
    const rand = prng(2)
    const entries = [1, 2, 3].map(() => chunkEntry(randomBytes(rand, 2000)))
    const build = async (meta: Record<string, string>, v: typeof version): Promise<string> => {
      const b = new ManifestBuilder({ writeChunk: new MemoryChunks().writeChunk, version: v, metadata: meta })
      for (const e of entries) await b.add(e)
      return (await b.finish()).info.etag
    }
    const e1 = await build({}, version)
    assert.equal(await build({ k: 'v' }, { ...version, counter: 9 }), e1)
    const b = new ManifestBuilder({ writeChunk: new MemoryChunks().writeChunk, version })
    for (const e of [...entries].reverse()) await b.add(e)
    assert.notEqual((await b.finish()).info.etag, e1)
    assert.equal(formatEtag(new Uint8Array(16), 0), '00000000000000000000000000000000-0')
  })

  it('round-trips index nodes', () => {
    const rand = prng(3)
    const children = [fakeEntry(rand, 1000, 1024), fakeEntry(rand, 1000, 1024)].map((e, i) => ({ cid: e.cid, size: 10_000 + i, chunkCount: 3 + i }))
    const node: ManifestIndex = { kind: 'index', height: 2, blockSize: 4096, size: 20_001, chunkCount: 7, children }
    const decoded = decodeManifestNode(encodeManifestNode(node))
    assert.equal(decoded.kind, 'index')
    assert.equal(decoded.height, 2)
    assert.equal(decoded.size, 20_001)
    assert.equal(decoded.chunkCount, 7)
    assert.ok(decoded.kind === 'index' && decoded.children.every((c, i) => c.cid.equals(children[i]!.cid) && c.size === children[i]!.size && c.chunkCount === children[i]!.chunkCount))
  })

  it('rejects specific malformed nodes with ERR_INVALID_MANIFEST', async () => {
    const [root] = await samples()
    const bad: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['bad magic', Uint8Array.from([0x57, 0x4e, ...root!.subarray(2)])],
      ['unknown format', Uint8Array.from([0x57, 0x4d, 2, ...root!.subarray(3)])],
      ['unknown flag', Uint8Array.from([0x57, 0x4d, 1, 0x06, ...root!.subarray(4)])],
      ['block size too small', Uint8Array.from([...root!.subarray(0, 4), 9, ...root!.subarray(5)])],
      ['block size too large', Uint8Array.from([...root!.subarray(0, 4), 25, ...root!.subarray(5)])],
      ['trailing byte', Uint8Array.from([...root!, 0])],
      ['truncated', root!.subarray(0, root!.length - 1)],
      ['oversized', new Uint8Array(MAX_MANIFEST_NODE_SIZE + 1)],
      ['non-root empty leaf', Uint8Array.from([0x57, 0x4d, 1, 0, 10, 0, 0])],
      ['empty index', Uint8Array.from([0x57, 0x4d, 1, 1, 10, 1, 0])],
      ['index of height 0', Uint8Array.from([0x57, 0x4d, 1, 1, 10, 0, 1, 5, 1, ...new Uint8Array(32)])],
      ['index taller than the limit', Uint8Array.from([0x57, 0x4d, 1, 1, 10, 17, 1, 5, 1, ...new Uint8Array(32)])],
      ['index child with more chunks than bytes', Uint8Array.from([0x57, 0x4d, 1, 1, 10, 1, 1, 5, 6, ...new Uint8Array(32)])],
      ['non-minimal varint', Uint8Array.from([0x57, 0x4d, 1, 0, 10, 0x80, 0x00, 1, 5, ...new Uint8Array(32)])],
      ['huge entry count', Uint8Array.from([0x57, 0x4d, 1, 0, 10, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 5, ...new Uint8Array(32)])],
      ['chunk of size 0', Uint8Array.from([0x57, 0x4d, 1, 0, 10, 0, 1, 0, ...new Uint8Array(32)])],
      ['chunk over 8 MiB', Uint8Array.from([0x57, 0x4d, 1, 0, 10, 0, 1, 0x81, 0x80, 0x80, 0x04, ...new Uint8Array(32)])],
      ['missing block hashes', Uint8Array.from([0x57, 0x4d, 1, 0, 10, 0, 1, 0x81, 0x10, ...new Uint8Array(32)])]
    ]
    for (const [what, bytes] of bad) {
      assert.throws(() => decodeManifestNode(bytes), isManifestError, what)
    }
  })

  it('rejects a root whose header disagrees with its entries', async () => {
    const rand = prng(4)
    const entry = chunkEntry(randomBytes(rand, 100))
    const node: ManifestLeaf = { kind: 'leaf', height: 0, blockSize: 1024, size: 100, chunkCount: 1, entries: [entry] }
    const header: RootHeader = { size: 101, chunkCount: 1, etagHash: new Uint8Array(16), metadata: {}, version }
    assert.throws(() => decodeManifestNode(encodeManifestNode(node, header)), isManifestError)
    assert.throws(() => decodeManifestNode(encodeManifestNode(node, { ...header, size: 100, chunkCount: 2 })), isManifestError)
    assert.doesNotThrow(() => decodeManifestNode(encodeManifestNode(node, { ...header, size: 100 })))
  })

  it('fuzz: thousands of random mutations only ever throw ERR_INVALID_MANIFEST', async () => {
    const rand = prng(5)
    const valid = await samples()
    let rejected = 0
    let accepted = 0
    for (let i = 0; i < 4000; i++) {
      const base = valid[randomInt(rand, 0, valid.length - 1)]!
      const bytes = mutate(rand, base)
      try {
        const node = decodeManifestNode(bytes)
        // anything accepted must re-encode to the same bytes (one encoding per manifest)
        const header = node.info === undefined ? undefined : { ...node.info, etagHash: Buffer.from(node.info.etag.slice(0, 32), 'hex') }
        assert.deepEqual(encodeManifestNode(node, header), bytes)
        accepted++
      } catch (err) {
        if (!isManifestError(err)) throw err
        rejected++
      }
    }
    assert.ok(rejected > 3000, `rejected ${rejected}`)
    assert.ok(accepted > 0, 'some mutations (of digests and hashes) stay valid')
  })
})

