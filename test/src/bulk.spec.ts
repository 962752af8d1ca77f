import assert from 'node:assert/strict'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { CHUNK_PROTOCOL, bulkTransport, createChunkClient, fallbackTransport, libp2pTransport } from '@weft/protocol'
import { createLibp2p } from 'libp2p'
import { CHUNK_TIMINGS, POLICY, randomChunk, readAll, waitConverged } from './chunks-helpers.js'
import { Harness, waitFor } from './membership-helpers.js'
import type { Libp2p } from '@libp2p/interface'
import type { WeftNode } from '@weft/node'
import type { ChunkClient } from '@weft/protocol'

describe('bulk channel between nodes (multi-node, real TCP on 127.0.0.1)', function () {
  this.timeout(60_000)
  let h: Harness
  let client: { host: Libp2p, chunks: ChunkClient } | undefined

  beforeEach(() => { h = new Harness() })
  afterEach(async () => {
    await client?.chunks.close()
    await client?.host.stop()
    client = undefined
    await h.teardown()
  })

  it('moves chain puts and reads over the bulk channel, and over libp2p to nodes without a reachable one', async () => {
    const seed = await h.node({ timings: CHUNK_TIMINGS, zone: 'test/dc1/r1/h0' })
    const seeds = [seed.getMultiaddrs()[0]!.toString()]
    const others = await Promise.all([
      h.node({ timings: CHUNK_TIMINGS, seeds, zone: 'test/dc1/r1/h1' }),
      // no bulk channel at all
      h.node({ timings: CHUNK_TIMINGS, seeds, zone: 'test/dc1/r1/h2', bulk: false }),
      // announces a bulk address nobody listens on
      h.node({ timings: CHUNK_TIMINGS, seeds, zone: 'test/dc1/r1/h3', bulk: { announce: '/ip4/127.0.0.1/tcp/1' } })
    ])
    const nodes = [seed, ...others]
    const [a, b, none, wrong] = nodes as [WeftNode, WeftNode, WeftNode, WeftNode]
    await waitConverged(nodes)
    await waitFor('bulk addresses announced', () => nodes.every(n => n.member(a.peerId)?.record.bulkAddr === a.bulk?.bulkAddr && n.member(none.peerId)?.record.bulkAddr === ''))
    assert.equal(none.bulk, undefined)
    assert.match(a.member(b.peerId)!.record.bulkAddr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/)
    assert.equal(a.member(wrong.peerId)!.record.bulkAddr, '/ip4/127.0.0.1/tcp/1')

    const chunks = await Promise.all(Array.from({ length: 8 }, async () => randomChunk(100_000, 800_000)))
    for (const [i, c] of chunks.entries()) {
      const writer = nodes[i % 2]!
      const result = await writer.writeChunk(c.cid, c.bytes, POLICY)
      assert.equal(result.holders.length, 3)
      assert.equal(result.handedOff.length, 0)
      for (const holder of result.holders) {
        const peer = peerIdFromString(holder)
        const reader = holder === a.peerId ? b : a
        assert.ok(Buffer.from(await readAll(reader.chunks.client.get(peer, c.cid))).equals(c.bytes))
      }
    }
    const aServed = a.bulk!.stats().served
    const bServed = b.bulk!.stats().served
    assert.ok(aServed > 0 && bServed > 0, `bulk connections served: a ${aServed}, b ${bServed}`)
    // between a and b nothing went over libp2p chunk streams; the two others were reached over libp2p
    const aToB = a.libp2p.getConnections(peerIdFromString(b.peerId)).reduce((n, c) => n + c.streams.filter(s => s.protocol === CHUNK_PROTOCOL).length, 0)
    assert.equal(aToB, 0)
    // any 3 of the 4 include one of the two without a reachable bulk channel: they got theirs over libp2p
    const cids = chunks.map(c => c.cid)
    assert.ok((await none.store.has(cids)).some(Boolean))
    assert.ok((await wrong.store.has(cids)).some(Boolean))
    assert.equal(wrong.bulk!.stats().served, 0)
  })

  it('serves a client connected over the mesh on the bulk channel, and refuses a stranger', async () => {
    const [a, b] = await h.cluster(2, { timings: CHUNK_TIMINGS })
    await waitConverged([a!, b!])
    const c = await randomChunk(3_000_000, 3_000_000)
    await a!.store.put(c.cid, c.bytes)
    const privateKey = await generateKeyPair('Ed25519')
    const bulk = bulkTransport({ privateKey, resolve: peer => a!.member(peer.toString())?.record.bulkAddr })

    // a stranger (no libp2p connection, so no mesh key) is refused by the bulk port
    const stranger = createChunkClient({ transport: bulk })
    await assert.rejects(stranger.stat(peerIdFromString(a!.peerId), c.cid), { code: 'ERR_PEER_UNREACHABLE' })
    await stranger.close()
    assert.equal(a!.bulk!.stats().notAllowed, 1)

    const host = await createLibp2p({
      privateKey,
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionProtector: preSharedKey({ psk: new TextEncoder().encode(h.meshKey) })
    })
    await host.dial(multiaddr(a!.getMultiaddrs()[0]!.toString()))
    client = { host, chunks: createChunkClient({ transport: fallbackTransport(bulk, libp2pTransport(host)) }) }
    const got = await readAll(client.chunks.get(peerIdFromString(a!.peerId), c.cid))
    assert.ok(Buffer.from(got).equals(c.bytes))
    assert.equal(a!.bulk!.stats().served, 1)
    assert.equal(host.getConnections().reduce((n, conn) => n + conn.streams.filter(s => s.protocol === CHUNK_PROTOCOL).length, 0), 0)
  })
})
