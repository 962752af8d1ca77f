import assert from 'node:assert/strict'
import { CHUNK_PROTOCOL, createChunkClient, libp2pTransport, streamToDuplex } from '@weft/protocol'
import { bytesOf, cidOf, collect, connectAll, createHost, createNode, meshKey } from './hosts.js'
import type { TestNode } from './hosts.js'
import type { Libp2p } from '@libp2p/interface'
import type { ChunkClient } from '@weft/protocol'

describe('chunk chain put when a replica dies', function () {
  this.timeout(60_000)
  const psk = meshKey()
  let nodes: TestNode[] = []
  let writer: Libp2p | undefined
  let client: ChunkClient | undefined

  beforeEach(async () => {
    nodes = await Promise.all([0, 1, 2].map(async () => createNode(psk, { inactivityTimeout: 5_000 })))
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

  it('reports the dead replica and everyone after it as failed; nobody claims them', async () => {
    const [a, b, c] = nodes
    const bytes = bytesOf(8 * 1024 * 1024, 21)
    const cid = await cidOf(bytes)
    let sent = 0
    let killed: Promise<void> | undefined
    async function * slowly (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.byteLength; i += 256 * 1024) {
        if (sent >= 2 * 1024 * 1024 && killed == null) {
          // B dies mid-transfer: its connections drop without a goodbye
          for (const conn of b!.host.getConnections()) {
            conn.abort(new Error('killed by the test'))
          }
          killed = b!.stop()
        }
        sent += 256 * 1024
        yield bytes.subarray(i, i + 256 * 1024)
        await new Promise(resolve => setTimeout(resolve, 10))
      }
    }
    const result = await client!.put(a!.peerId, cid, slowly(), { size: bytes.byteLength, forward: [b!.peerId, c!.peerId] })
    await killed
    assert.ok(killed != null, 'B was killed during the transfer')

    assert.deepEqual(result.stored.map(s => s.peer.toString()), [a!.peerId.toString()])
    const failed = new Map(result.failed.map(f => [f.peer.toString(), f.code]))
    assert.equal(failed.size, 2)
    assert.ok(failed.has(b!.peerId.toString()))
    assert.ok(failed.has(c!.peerId.toString()))
    assert.notEqual(failed.get(b!.peerId.toString()), 'ERR_INTERNAL')
    assert.ok(Buffer.from(await collect(a!.store.get(cid))).equals(bytes))
    // C never received the whole chunk: it holds nothing, and nobody said it did
    assert.deepEqual(await c!.store.has([cid]), [false])
  })

  it('reports a replica that takes the chunk and never answers as timed out; the others stored', async () => {
    // a chunk of nodes with short timeouts, and a last "replica" that reads everything and says nothing
    const fast = await Promise.all([0, 1].map(async () => createNode(psk, { inactivityTimeout: 500 })))
    const mute = await createHost(psk)
    nodes.push(...fast)
    try {
      await mute.handle(CHUNK_PROTOCOL, async stream => {
        for await (const _ of streamToDuplex(stream).source) {
          // swallow
        }
      })
      await connectAll([...fast, { host: mute }, { host: writer! }])
      const impatient = createChunkClient({ transport: libp2pTransport(writer!), inactivityTimeout: 500 })
      const bytes = bytesOf(1024 * 1024, 24)
      const cid = await cidOf(bytes)
      const result = await impatient.put(fast[0]!.peerId, cid, bytes, { forward: [fast[1]!.peerId, mute.peerId] })
      await impatient.close()
      assert.deepEqual(result.stored.map(s => s.peer.toString()), fast.map(n => n.peerId.toString()))
      assert.deepEqual(result.failed.map(f => [f.peer.toString(), f.code]), [[mute.peerId.toString(), 'ERR_TIMEOUT']])
    } finally {
      await mute.stop()
    }
  })

  it('reports a replica that cannot be reached at all, and still stores the others', async () => {
    const [a, b, c] = nodes
    await c!.stop()
    const bytes = bytesOf(1024 * 1024, 22)
    const cid = await cidOf(bytes)
    const result = await client!.put(a!.peerId, cid, bytes, { forward: [b!.peerId, c!.peerId] })
    assert.deepEqual(result.stored.map(s => s.peer.toString()), [a!.peerId.toString(), b!.peerId.toString()])
    assert.deepEqual(result.failed.map(f => [f.peer.toString(), f.code]), [[c!.peerId.toString(), 'ERR_PEER_UNREACHABLE']])
  })

  it('reports the first replica itself as failed when it cannot be reached', async () => {
    const [a, b] = nodes
    await a!.stop()
    const bytes = bytesOf(1000, 23)
    const cid = await cidOf(bytes)
    const result = await client!.put(a!.peerId, cid, bytes, { forward: [b!.peerId] })
    assert.deepEqual(result.stored, [])
    assert.deepEqual(result.failed.map(f => f.code), ['ERR_PEER_UNREACHABLE', 'ERR_CHAIN_BROKEN'])
    assert.deepEqual(await b!.store.has([cid]), [false])
  })
})
