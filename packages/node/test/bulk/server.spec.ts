import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { CHUNK_PROTOCOL, bulkTransport, createChunkClient, fallbackTransport, libp2pTransport } from '@weft/protocol'
import { bulkHosts, createBulkServer } from '../../src/bulk/index.js'
import { createStoreHandler } from '../../src/chunk/index.js'
import { bytesOf, cidOf, collect, meshKey, streamsBetween } from '../chunk/hosts.js'
import { createMeshHost, createMeshNode, startBulkNode, waitFor } from './fixtures.js'
import type { BulkServer } from '../../src/bulk/index.js'
import type { BulkTestNode, MeshHost, MeshNode } from './fixtures.js'
import type { PrivateKey } from '@libp2p/interface'
import type { BulkAddress, ChunkClient } from '@weft/protocol'

describe('bulk server', function () {
  this.timeout(60_000)
  let nodes: BulkTestNode[] = []
  let clientKey: PrivateKey
  let client: ChunkClient | undefined
  const directory = new Map<string, BulkAddress>()

  before(async () => {
    clientKey = await generateKeyPair('Ed25519')
  })

  afterEach(async () => {
    await client?.close()
    client = undefined
    await Promise.all(nodes.map(async n => n.stop()))
    nodes = []
    directory.clear()
  })

  function connect (init: { maxStreamsPerPeer?: number, maxRequestsPerStream?: number } = {}): ChunkClient {
    client = createChunkClient({ ...init, transport: bulkTransport({ privateKey: clientKey, resolve: peer => directory.get(peer.toString()) }) })
    return client
  }

  it('round-trips put, get (whole and ranges), has, stat and delete through a real store', async () => {
    const a = await startBulkNode({ directory })
    nodes.push(a)
    const chunks = connect()
    const bytes = bytesOf(4 * 1024 * 1024 + 3, 11)
    const cid = await cidOf(bytes)
    const put = await chunks.put(a.peerId, cid, bytes)
    assert.deepEqual(put.failed, [])
    assert.deepEqual(put.stored.map(s => [s.peer.toString(), s.existed]), [[a.peerId.toString(), false]])
    assert.deepEqual(await a.store.has([cid]), [true])
    assert.ok(Buffer.from(await collect(chunks.get(a.peerId, cid))).equals(bytes))
    for (const [offset, length] of [[0, 1], [1_000_000, 2_500_000], [bytes.byteLength - 1, 1]] as const) {
      assert.ok(Buffer.from(await collect(chunks.get(a.peerId, cid, { offset, length }))).equals(bytes.subarray(offset, offset + length)))
    }
    const missing = await cidOf(bytesOf(10, 99))
    await assert.rejects(collect(chunks.get(a.peerId, missing)), { code: 'ERR_CHUNK_NOT_FOUND' })
    assert.deepEqual(await chunks.has(a.peerId, [missing, cid]), [false, true])
    const stat = await chunks.stat(a.peerId, cid)
    assert.equal(stat?.size, bytes.byteLength)
    assert.equal(stat?.partition, (await a.store.stat(cid))?.partition)
    assert.equal((await chunks.put(a.peerId, cid, bytes)).stored[0]?.existed, true)
    assert.equal(await chunks.delete(a.peerId, cid), true)
    assert.deepEqual(await a.store.has([cid]), [false])
    assert.equal(a.server.stats().served, 1, 'one pooled connection carried everything')
  })

  it('replicates a put down a chain whose links are bulk channels too', async () => {
    nodes = await Promise.all([0, 1, 2].map(async () => startBulkNode({ directory })))
    const [a, b, c] = nodes as [BulkTestNode, BulkTestNode, BulkTestNode]
    const chunks = connect()
    const bytes = bytesOf(2 * 1024 * 1024 + 77, 5)
    const cid = await cidOf(bytes)
    const result = await chunks.put(a.peerId, cid, bytes, { forward: [b.peerId, c.peerId] })
    assert.deepEqual(result.failed, [])
    assert.deepEqual(result.stored.map(s => s.peer.toString()).sort(), [a, b, c].map(n => n.peerId.toString()).sort())
    for (const n of [a, b, c]) {
      assert.ok(Buffer.from(await collect(n.store.get(cid))).equals(bytes))
    }
    assert.equal(b.server.stats().served, 1)
    assert.equal(c.server.stats().served, 1)
  })

  it('carries many concurrent requests on a small pool of connections', async () => {
    const a = await startBulkNode({ directory })
    nodes.push(a)
    // 2 x 12 in flight, under the server's 32 per peer: at exactly 32 the server may still hold the slot of an
    // answer whose last frame waits for 'drain' when the client's next request arrives (ERR_BUSY)
    const chunks = connect({ maxStreamsPerPeer: 2, maxRequestsPerStream: 12 })
    const items = await Promise.all(Array.from({ length: 120 }, async (_, i) => {
      const bytes = bytesOf(1000 + i * 997, 1000 + i)
      return { bytes, cid: await cidOf(bytes) }
    }))
    const puts = await Promise.all(items.map(async it => chunks.put(a.peerId, it.cid, it.bytes)))
    assert.ok(puts.every(p => p.failed.length === 0 && p.stored.length === 1))
    const got = await Promise.all(items.map(async it => collect(chunks.get(a.peerId, it.cid))))
    got.forEach((g, i) => { assert.ok(Buffer.from(g).equals(items[i]!.bytes), `chunk ${i}`) })
    const found = await Promise.all(items.map(async it => chunks.has(a.peerId, [it.cid])))
    assert.ok(found.every(f => f[0] === true))
    assert.ok(a.server.stats().served <= 2, `${a.server.stats().served} connections`)
  })

  it('does not buffer without bound for a reader that stops reading', async () => {
    const a = await startBulkNode({ directory })
    nodes.push(a)
    const chunks = connect({ maxStreamsPerPeer: 1 })
    const bytes = bytesOf(8 * 1024 * 1024, 21)
    const cid = await cidOf(bytes)
    await a.store.put(cid, bytes)
    // 8 gets of 8 MiB on one connection: 64 MiB asked for, then each reader stops after its first piece
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const totals = Promise.all(Array.from({ length: 8 }, async () => {
      let n = 0
      for await (const buf of chunks.get(a.peerId, cid)) {
        n += buf.byteLength
        await gate
      }
      return n
    }))
    await new Promise(resolve => setTimeout(resolve, 1500))
    const held = a.produced
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(a.produced, held, 'the server stopped producing')
    // socket buffers on both ends, the kernel's, one body queue: far below the 64 MiB asked for
    assert.ok(held > 0 && held < 32 * 1024 * 1024, `server produced ${held} bytes for a reader that reads nothing`)
    release()
    assert.deepEqual(await totals, Array.from({ length: 8 }, () => bytes.byteLength))
    assert.equal(a.produced, 8 * bytes.byteLength)
  })

  it('announces a dialable address: the listen address, announceHost with the port, or nothing for a wildcard', async () => {
    const plain = await startBulkNode({ directory })
    nodes.push(plain)
    assert.equal(plain.server.bulkAddr, `/ip4/127.0.0.1/tcp/${plain.address.port}`)
    const wildcard = await startBulkNode({ host: '0.0.0.0' })
    nodes.push(wildcard)
    assert.equal(wildcard.server.bulkAddr, undefined)
    const hinted = await startBulkNode({ host: '0.0.0.0', announceHost: '127.0.0.1' })
    nodes.push(hinted)
    assert.equal(hinted.server.bulkAddr, `/ip4/127.0.0.1/tcp/${hinted.address.port}`)
    const chunks = createChunkClient({ transport: bulkTransport({ privateKey: clientKey, resolve: () => hinted.server.bulkAddr }) })
    try {
      assert.equal(await chunks.stat(hinted.peerId, await cidOf(bytesOf(5))), undefined)
    } finally {
      await chunks.close()
    }
    await hinted.server.stop()
    assert.equal(hinted.server.bulkAddr, undefined)
  })

  describe('beside libp2p', () => {
    const psk = meshKey()
    let node: MeshNode | undefined
    let writer: MeshHost | undefined
    let bulk: BulkServer | undefined

    beforeEach(async () => {
      node = await createMeshNode(psk)
      writer = await createMeshHost(psk)
    })

    afterEach(async () => {
      await client?.close()
      client = undefined
      await bulk?.stop()
      await writer?.host.stop()
      await node?.stop()
      bulk = undefined
      writer = undefined
      node = undefined
    })

    it('serves a peer whose bulk address is unreachable over libp2p', async () => {
      const { host } = writer!
      await host.dial(node!.host.getMultiaddrs())
      const fellBack: string[] = []
      client = createChunkClient({
        transport: fallbackTransport(
          bulkTransport({ privateKey: writer!.privateKey, resolve: () => '/ip4/127.0.0.1/tcp/1' }),
          libp2pTransport(host),
          { onFallback: (_p, err) => fellBack.push((err as Error & { code: string }).code) }
        )
      })
      const bytes = bytesOf(1024 * 1024 + 9, 3)
      const cid = await cidOf(bytes)
      assert.deepEqual((await client.put(node!.peerId, cid, bytes)).failed, [])
      assert.ok(Buffer.from(await collect(client.get(node!.peerId, cid))).equals(bytes))
      assert.deepEqual(fellBack, ['ERR_BULK_HANDSHAKE'])
      assert.ok(streamsBetween(host, node!.peerId, CHUNK_PROTOCOL) >= 1, 'the chunks went over libp2p')
      assert.deepEqual(await node!.store.has([cid]), [true])
    })

    it('serves peers connected over the mesh over the bulk channel, and refuses others', async () => {
      const n = node!
      const handler = createStoreHandler({ self: n.peerId, store: n.store, client: n.service.client })
      const server = bulk = createBulkServer({
        privateKey: n.privateKey,
        handler,
        // the wiring of a node: a mesh member, or a peer holding a libp2p connection (which took the mesh key)
        isAllowed: peer => n.host.getConnections(peer).length > 0,
        recheckInterval: 100
      })
      await server.start()
      const bulkAddr = server.bulkAddr
      // one transport (and its memory of failures) for every client below
      const transport = fallbackTransport(
        bulkTransport({ privateKey: writer!.privateKey, resolve: () => bulkAddr }),
        libp2pTransport(writer!.host),
        { retryAfter: 100 }
      )
      client = createChunkClient({ transport })
      const bytes = bytesOf(700_000, 17)
      const cid = await cidOf(bytes)
      await n.store.put(cid, bytes)

      // not connected over libp2p: the bulk port refuses us, and libp2p needs a connection we do not have
      await assert.rejects(client.stat(n.peerId, cid), { code: 'ERR_PEER_UNREACHABLE' })
      assert.equal(server.stats().notAllowed, 1)
      assert.equal(server.stats().served, 0)

      // connected over the mesh: after retryAfter the bulk channel is tried again and serves us
      await writer!.host.dial(n.host.getMultiaddrs())
      await new Promise(resolve => setTimeout(resolve, 150))
      assert.ok(Buffer.from(await collect(client.get(n.peerId, cid))).equals(bytes))
      assert.equal(server.stats().served, 1)
      assert.equal(server.stats().sessions, 1)
      assert.equal(streamsBetween(writer!.host, n.peerId, CHUNK_PROTOCOL), 0, 'no chunk stream on libp2p')

      // the libp2p connection goes: the bulk session is closed at the next check
      await writer!.host.hangUp(n.peerId)
      await waitFor(() => server.stats().sessions === 0)
    })
  })
})

describe('bulkHosts', () => {
  it('listens where libp2p listens and announces the announced host', () => {
    assert.deepEqual(bulkHosts(['/ip4/127.0.0.1/tcp/0']), { host: '127.0.0.1' })
    assert.deepEqual(bulkHosts(['/ip6/::1/tcp/4001', '/ip4/10.0.0.1/tcp/4001']), { host: '::1' })
    assert.deepEqual(bulkHosts(['/ip4/0.0.0.0/tcp/4001'], ['/ip4/0.0.0.0/tcp/4001', '/dns4/node-1.lan/tcp/4001']), { host: '0.0.0.0', announceHost: 'node-1.lan' })
    assert.deepEqual(bulkHosts(['/unix/tmp/x']), { host: '127.0.0.1' })
  })
})
