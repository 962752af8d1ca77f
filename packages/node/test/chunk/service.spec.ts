import assert from 'node:assert/strict'
import { CHUNK_PROTOCOL, MAX_HAS_BATCH, createChunkClient, libp2pTransport } from '@weft/protocol'
import { bytesOf, cidOf, collect, connectAll, createHost, createNode, meshKey, streamsBetween } from './hosts.js'
import type { TestNode } from './hosts.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { ChunkClient } from '@weft/protocol'

describe('chunk service over libp2p', function () {
  this.timeout(60_000)
  const psk = meshKey()
  let nodes: TestNode[] = []
  let writer: Libp2p | undefined
  let client: ChunkClient | undefined
  let members: PeerId[] = []

  beforeEach(async () => {
    nodes = await Promise.all([0, 1, 2].map(async () => createNode(psk, { members: () => members })))
    members = nodes.map(n => n.peerId)
    writer = await createHost(psk)
    await connectAll([...nodes, { host: writer }])
    client = createChunkClient({ transport: libp2pTransport(writer) })
  })

  afterEach(async () => {
    await client?.close()
    await writer?.stop()
    await Promise.all(nodes.map(async n => n.stop()))
    nodes = []
  })

  it('gets whole chunks and ranges, has in batches, stats', async () => {
    const [a] = nodes
    const bytes = bytesOf(5 * 1024 * 1024 + 17)
    const cid = await cidOf(bytes)
    await a!.store.put(cid, bytes)

    assert.ok(Buffer.from(await collect(client!.get(a!.peerId, cid))).equals(bytes))
    for (const [offset, length] of [[0, 1], [1_000_000, 2_500_000], [bytes.byteLength - 1, 1], [4096, undefined]] as const) {
      const got = await collect(client!.get(a!.peerId, cid, { offset, length }))
      assert.ok(Buffer.from(got).equals(bytes.subarray(offset, length == null ? undefined : offset + length)), `range ${offset}+${length}`)
    }
    await assert.rejects(collect(client!.get(a!.peerId, cid, { offset: 10, length: bytes.byteLength })), { code: 'ERR_INVALID_RANGE' })
    const missing = await cidOf(bytesOf(10, 9))
    await assert.rejects(collect(client!.get(a!.peerId, missing)), { code: 'ERR_CHUNK_NOT_FOUND' })

    // more ids than one HAS frame may carry: the client splits the batch
    const many = await Promise.all(Array.from({ length: MAX_HAS_BATCH + 200 }, async (_, i) => cidOf(bytesOf(8, i + 100))))
    many[5] = cid
    many[MAX_HAS_BATCH + 100] = cid
    const found = await client!.has(a!.peerId, many)
    assert.equal(found.length, many.length)
    assert.deepEqual(found.flatMap((f, i) => f ? [i] : []), [5, MAX_HAS_BATCH + 100])

    const stat = await client!.stat(a!.peerId, cid)
    assert.equal(stat?.size, bytes.byteLength)
    assert.equal(stat?.partition, (await a!.store.stat(cid))?.partition)
    assert.equal(await client!.stat(a!.peerId, missing), undefined)
  })

  it('refuses delete from non-members with ERR_NOT_MEMBER and lets members delete', async () => {
    const [a, b] = nodes
    const bytes = bytesOf(1000)
    const cid = await cidOf(bytes)
    await a!.store.put(cid, bytes)
    await assert.rejects(client!.delete(a!.peerId, cid), { code: 'ERR_NOT_MEMBER' })
    assert.deepEqual(await a!.store.has([cid]), [true])
    assert.equal(await b!.service.client.delete(a!.peerId, cid), true)
    assert.deepEqual(await a!.store.has([cid]), [false])
    assert.equal(await b!.service.client.delete(a!.peerId, cid), false)
  })

  it('replicates a put down a chain of three; re-putting is cheap and idempotent', async () => {
    const [a, b, c] = nodes
    const bytes = bytesOf(4 * 1024 * 1024, 7)
    const cid = await cidOf(bytes)
    async function * source (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.byteLength; i += 100_000) {
        yield bytes.subarray(i, i + 100_000)
      }
    }
    const result = await client!.put(a!.peerId, cid, source(), { size: bytes.byteLength, forward: [b!.peerId, c!.peerId] })
    assert.deepEqual(result.failed, [])
    assert.deepEqual(result.stored.map(s => s.peer.toString()), [a, b, c].map(n => n!.peerId.toString()))
    assert.ok(result.stored.every(s => !s.existed))
    for (const n of [a, b, c]) {
      // each holder has a verified copy: a full store read checks the hash
      assert.ok(Buffer.from(await collect(n!.store.get(cid))).equals(bytes))
    }

    const used = nodes.map(n => [n.store.usage().usedBytes, n.store.usage().chunkCount])
    const again = await client!.put(a!.peerId, cid, bytes, { forward: [b!.peerId, c!.peerId] })
    assert.deepEqual(again.failed, [])
    assert.equal(again.stored.length, 3)
    assert.ok(again.stored.every(s => s.existed))
    assert.deepEqual(nodes.map(n => [n.store.usage().usedBytes, n.store.usage().chunkCount]), used)
  })

  it('fails every replica of a chain on a bad hash and stores nothing', async () => {
    const [a, b, c] = nodes
    const bytes = bytesOf(600_000, 3)
    const wrong = await cidOf(bytesOf(600_000, 4))
    const result = await client!.put(a!.peerId, wrong, bytes, { forward: [b!.peerId, c!.peerId] })
    assert.deepEqual(result.stored, [])
    assert.deepEqual(result.failed.map(f => [f.peer.toString(), f.code]), [a, b, c].map(n => [n!.peerId.toString(), 'ERR_HASH_MISMATCH']))
    for (const n of nodes) {
      assert.deepEqual(await n.store.has([wrong]), [false])
    }
  })

  it('refuses a forward list that loops back', async () => {
    const [a, b] = nodes
    const bytes = bytesOf(1000)
    const cid = await cidOf(bytes)
    const result = await client!.put(a!.peerId, cid, bytes, { forward: [b!.peerId, a!.peerId] })
    assert.deepEqual(result.stored, [])
    assert.equal(result.failed[0]?.code, 'ERR_INVALID_FORWARD')
    assert.deepEqual(result.failed.slice(1).map(f => f.code), ['ERR_CHAIN_BROKEN', 'ERR_CHAIN_BROKEN'])
  })

  it('serves many concurrent callers over a few pooled streams', async () => {
    const [a, b] = nodes
    const chunks = await Promise.all(Array.from({ length: 60 }, async (_, i) => {
      const bytes = bytesOf(20_000 + i * 7_000, i + 11)
      return { bytes, cid: await cidOf(bytes) }
    }))
    const seen = new Set<number>()
    const sample = setInterval(() => { seen.add(streamsBetween(writer!, a!.peerId, CHUNK_PROTOCOL)) }, 5)
    try {
      const results = await Promise.all(chunks.map(async ({ bytes, cid }) => client!.put(a!.peerId, cid, bytes, { forward: [b!.peerId] })))
      assert.ok(results.every(r => r.failed.length === 0 && r.stored.length === 2))
      const [reads, haves] = await Promise.all([
        Promise.all(chunks.map(async ({ cid }) => collect(client!.get(b!.peerId, cid)))),
        Promise.all(chunks.map(async ({ cid }) => client!.has(a!.peerId, [cid])))
      ])
      reads.forEach((bytes, i) => { assert.ok(Buffer.from(bytes).equals(chunks[i]!.bytes), `chunk ${i}`) })
      assert.ok(haves.every(h => h[0] === true))
    } finally {
      clearInterval(sample)
    }
    // a small, fixed number of long-lived streams: never one per request
    assert.ok(Math.max(...seen) <= 2, `streams to one peer: ${[...seen].join(',')}`)
    assert.ok(streamsBetween(writer!, b!.peerId, CHUNK_PROTOCOL) <= 2)
    // and the forwarding node pools its streams to the next replica too
    assert.ok(streamsBetween(a!.host, b!.peerId, CHUNK_PROTOCOL) <= 2)
  })
})
