import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { writeChunk } from '@weft/protocol'
import { CHUNK_TIMINGS, POLICY, clientPeer, clientPlan, inParallel, randomChunk, readAll, replicaSetOf, waitConverged } from './chunks-helpers.js'
import { Harness, waitFor } from './membership-helpers.js'
import type { Chunk, ClientPeer } from './chunks-helpers.js'
import type { WeftNode, WeftNodeInit } from '@weft/node'
import type { ClusterMap } from '@weft/placement'

const KiB = 1024
const MiB = 1024 * KiB

describe('replicated chunk writes (multi-node, real TCP on 127.0.0.1)', function () {
  this.timeout(60_000)
  let h: Harness
  let clients: ClientPeer[]

  beforeEach(() => {
    h = new Harness()
    clients = []
  })
  afterEach(async () => {
    await Promise.allSettled(clients.map(async c => c.stop()))
    await h.teardown()
  })

  async function cluster (n: number, init: (i: number) => Partial<WeftNodeInit> = () => ({})): Promise<WeftNode[]> {
    // distinct hosts, so spread 'host' has n domains
    const seed = await h.node({ timings: CHUNK_TIMINGS, ...init(0), zone: 'test/dc1/r1/h0' })
    const seeds = [seed.getMultiaddrs()[0]!.toString()]
    const rest = await Promise.all(Array.from({ length: n - 1 }, async (_, i) => h.node({ timings: CHUNK_TIMINGS, ...init(i + 1), seeds, zone: `test/dc1/r1/h${i + 1}` })))
    return [seed, ...rest]
  }

  /** 500 chunks: half from a client peer, half from the nodes themselves (round robin). */
  async function writeMany (nodes: WeftNode[], map: ClusterMap, count: number): Promise<Array<Chunk & { holders: string[] }>> {
    const client = await clientPeer(h.meshKey, nodes)
    clients.push(client)
    const chunks = await Promise.all(Array.from({ length: count }, async () => randomChunk(1 * KiB, 64 * KiB)))
    const written: Array<Chunk & { holders: string[] }> = []
    await inParallel(chunks, 32, async (c, i) => {
      const result = i % 2 === 0
        ? await writeChunk({ client: client.client, ...clientPlan(map, c.cid), replicas: 3, cid: c.cid, bytes: c.bytes })
        : await nodes[i % nodes.length]!.writeChunk(c.cid, c.bytes, POLICY)
      assert.equal(result.handedOff.length, 0, 'no node failed: nothing is handed off')
      written.push({ ...c, holders: result.holders })
    })
    return written
  }

  /** Every chunk is on exactly its replica set, and each copy reads back verified over the network. */
  async function verifyPlacement (nodes: WeftNode[], map: ClusterMap, written: Array<Chunk & { holders: string[] }>): Promise<void> {
    const cids = written.map(w => w.cid)
    const held = await Promise.all(nodes.map(async n => n.store.has(cids)))
    const reader = clients[0]!
    let verifiedGets = 0
    for (const [i, w] of written.entries()) {
      const expected = replicaSetOf(map, w.cid)
      assert.equal(new Set(w.holders).size, 3)
      assert.deepEqual([...w.holders].sort(), [...expected].sort(), 'acknowledged holders are the replica set')
      const actual = nodes.filter((_, j) => held[j]![i] === true).map(n => n.peerId)
      assert.deepEqual(actual.sort(), [...expected].sort(), 'stored on exactly the replica set')
    }
    await inParallel(written, 8, async (w) => {
      for (const peer of w.holders) {
        const node = nodes.find(n => n.peerId === peer)!
        const stat = await node.store.stat(w.cid)
        assert.equal(stat?.size, w.bytes.byteLength)
        // client.get hashes a whole-chunk read and throws on a mismatch
        const bytes = await readAll(reader.client.get(peerIdFromString(peer), w.cid))
        assert.ok(Buffer.from(bytes).equals(w.bytes))
        verifiedGets++
      }
    })
    assert.equal(verifiedGets, written.length * 3)
  }

  for (const n of [3, 5]) {
    it(`${n} nodes, r = 3: 500 chunks land on exactly their replica sets, verified on every holder`, async () => {
      const nodes = await cluster(n)
      const map = await waitConverged(nodes)
      const t0 = performance.now()
      const written = await writeMany(nodes, map, 500)
      const tWrite = performance.now() - t0
      await verifyPlacement(nodes, map, written)
      const bytes = written.reduce((s, w) => s + w.bytes.byteLength, 0)
      console.log(`      wrote 500 chunks (${(bytes / 1e6).toFixed(1)} MB x 3) in ${tWrite.toFixed(0)} ms, verified in ${(performance.now() - t0 - tWrite).toFixed(0)} ms`)
      // the record and metrics follow the store
      const usedNow = nodes.map(x => x.store.usage().usedBytes)
      assert.equal(usedNow.reduce((s, u) => s + u, 0), bytes * 3)
      const metrics = await nodes[0]!.metrics.registry.getMetricsAsJSON()
      const used = metrics.find(m => m.name === 'weft_used_bytes')?.values[0]?.value
      assert.equal(used, usedNow[0])
      const puts = metrics.find(m => m.name === 'weft_requests_total')?.values.filter(v => v.labels.op === 'put' && v.labels.status === 'OK').reduce((s, v) => s + v.value, 0)
      assert.ok((puts ?? 0) >= held(written, nodes[0]!.peerId), 'every put served is counted')
      await waitFor('usage in the records', () => nodes.every(x => nodes[0]!.member(x.peerId)?.record.usedBytes === x.store.usage().usedBytes), 10 * CHUNK_TIMINGS.heartbeatMs * 3)
    })
  }

  it('re-writing a stored chunk writes no file again, and with probe sends no bytes', async () => {
    const nodes = await cluster(3)
    const map = await waitConverged(nodes)
    const client = await clientPeer(h.meshKey, nodes)
    clients.push(client)
    const c = await randomChunk(256 * KiB, 256 * KiB)
    const first = await writeChunk({ client: client.client, ...clientPlan(map, c.cid), replicas: 3, cid: c.cid, bytes: c.bytes })
    assert.deepEqual(first.existed, [])
    const stored: string[] = []
    for (const n of nodes) n.store.addEventListener('chunk:stored', () => { stored.push(n.peerId) })
    const before = nodes.map(n => n.store.usage())

    const again = await writeChunk({ client: client.client, ...clientPlan(map, c.cid), replicas: 3, cid: c.cid, bytes: c.bytes })
    assert.deepEqual([...again.holders].sort(), [...first.holders].sort())
    assert.deepEqual([...again.existed].sort(), [...first.holders].sort(), 'every replica already had it')
    assert.equal(again.attempts, 1)
    // from a node too (its own copy through the in-memory loopback)
    const fromNode = await nodes[1]!.writeChunk(c.cid, c.bytes, POLICY)
    assert.equal(fromNode.existed.length, 3)

    const probed = await writeChunk({ client: client.client, ...clientPlan(map, c.cid), replicas: 3, cid: c.cid, bytes: c.bytes, probe: true })
    assert.equal(probed.attempts, 0, 'HAS answered for every target: no put sent')
    assert.equal(probed.existed.length, 3)

    assert.deepEqual(stored, [], 'no chunk file was written again')
    assert.deepEqual(nodes.map(n => n.store.usage()).map(u => [u.usedBytes, u.chunkCount]), before.map(u => [u.usedBytes, u.chunkCount]))
  })

  it('a full store: its record says full within a few beats, and writes go around it', async () => {
    // the last node holds 6 MiB (same weight as the others, so placement picks it as often);
    // under 4 MiB free (the default fullBelowBytes) it counts as full
    const all = await cluster(4, i => i === 3 ? { capacityBytes: 6 * MiB, weight: 1e9 } : {})
    const [seed, small] = [all[0]!, all[3]!]
    const map = await waitConverged(all)
    assert.equal(small.store.usage().full, false)
    const client = await clientPeer(h.meshKey, all)
    clients.push(client)

    // fill the small node with chunks placed on it
    let fullAt = 0
    while (!small.store.usage().full) {
      const c = await randomChunk(256 * KiB, 256 * KiB)
      if (!replicaSetOf(map, c.cid).includes(small.peerId)) continue
      await writeChunk({ client: client.client, ...clientPlan(map, c.cid), replicas: 3, cid: c.cid, bytes: c.bytes })
      fullAt = performance.now()
    }
    // (the push on the flip itself is checked in packages/node/test/storage.spec: timing it here would be flaky)
    await waitFor('full in every record', () => all.every(n => n.member(small.peerId)?.record.full === true), 20 * CHUNK_TIMINGS.heartbeatMs)
    console.log(`      full seen everywhere ${(performance.now() - fullAt).toFixed(0)} ms after the store filled (heartbeat ${CHUNK_TIMINGS.heartbeatMs} ms)`)
    // it stays up in the map: it keeps its partitions and serves reads
    assert.equal(seed.getMap().nodes.find(x => x.peerId === small.peerId)?.state, 'up')

    // new chunks whose replica set includes it are planned around it (the client reads full from records)
    const usedBefore = small.store.usage().usedBytes
    let around = 0
    while (around < 20) {
      const c = await randomChunk(64 * KiB, 64 * KiB)
      if (!replicaSetOf(map, c.cid).includes(small.peerId)) continue
      const isFull = (peer: string): boolean => seed.member(peer)?.record.full === true
      const r = await writeChunk({ client: client.client, ...clientPlan(map, c.cid, isFull), replicas: 3, cid: c.cid, bytes: c.bytes })
      assert.equal(new Set(r.holders).size, 3)
      assert.ok(!r.holders.includes(small.peerId))
      around++
    }
    assert.equal(small.store.usage().usedBytes, usedBefore)

    // a writer that has not heard yet sends to it anyway: ERR_STORE_FULL, and hand-off
    let c = await randomChunk(4 * MiB, 4 * MiB)
    while (replicaSetOf(map, c.cid)[1] !== small.peerId) c = await randomChunk(4 * MiB, 4 * MiB)
    const blind = await writeChunk({ client: client.client, ...clientPlan(map, c.cid), replicas: 3, cid: c.cid, bytes: c.bytes })
    assert.equal(new Set(blind.holders).size, 3)
    assert.ok(!blind.holders.includes(small.peerId))
    assert.deepEqual(blind.failures.map(f => [f.peer, f.code]), [[small.peerId, 'ERR_STORE_FULL']])
    assert.equal(blind.handedOff.length, 1)
    for (const peer of blind.holders) assert.deepEqual(await all.find(n => n.peerId === peer)!.store.has([c.cid]), [true])
  })
})

function held (written: Array<{ holders: string[] }>, peer: string): number {
  return written.filter(w => w.holders.includes(peer)).length
}
