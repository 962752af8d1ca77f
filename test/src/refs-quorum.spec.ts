import assert from 'node:assert/strict'
import { partitionOfRef } from '@weft/placement'
import { HybridClock, chunkCid } from '@weft/protocol'
import { RefsHarness, byPeer, held, pid, waitFor } from './refs-helpers.js'
import type { Client, RefNode } from './refs-helpers.js'
import type { PlacementPolicy } from '@weft/placement'
import type { RefRecord, Version } from '@weft/protocol'

const POLICY: PlacementPolicy = { replicas: 3, spread: 'host' }

async function ref (bucket: string, key: string, body: string): Promise<Omit<RefRecord, 'version'>> {
  const bytes = new TextEncoder().encode(body)
  const manifest = (await chunkCid(bytes)).toString()
  return { bucket, key, manifest, size: bytes.byteLength, etag: `"${body.length}"`, deleted: false }
}

function replicasOf (client: Client, bucket: string, key: string): string[] {
  return client.mesh.placement().replicaSet(partitionOfRef(bucket, key), POLICY).nodes.map(n => n.peerId)
}

function sameVersion (a: Version | undefined, b: Version | undefined): boolean {
  return a != null && b != null && a.wallMs === b.wallMs && a.counter === b.counter && a.writer === b.writer
}

describe('refs: quorum reads and writes (4 real nodes)', function () {
  this.timeout(30_000)
  const t = new RefsHarness()
  let nodes: RefNode[]
  let a: Client
  let b: Client

  before(async () => {
    nodes = await t.cluster(4)
    a = await t.client(nodes[0]!.node)
    b = await t.client(nodes[1]!.node)
    await waitFor('clients see 4', () => [a, b].every(c => c.mesh.getMap().nodes.filter(n => n.state === 'up').length === 4))
  })
  after(async () => { await t.teardown() })

  it('read-your-writes: a majority-acknowledged put is what another client reads, and every replica gets it', async () => {
    const put = await a.refs.putRef(await ref('photos', 'cat.jpg', 'meow'), POLICY)
    assert.ok(put.acked.length >= 2)
    assert.deepEqual(put.handedOff, [])
    const got = await b.refs.getRef('photos', 'cat.jpg', POLICY)
    assert.deepEqual(got, put.record)
    assert.equal(got?.version.writer, a.mesh.peerId)
    await a.refs.settled()
    const replicas = replicasOf(a, 'photos', 'cat.jpg')
    for (const n of nodes) {
      const copy = await held(n, { bucket: 'photos', key: 'cat.jpg' })
      assert.equal(copy != null, replicas.includes(n.node.peerId), 'exactly the replica set holds it')
    }
    assert.equal(await b.refs.getRef('photos', 'no-such-key', POLICY), undefined)
  })

  it('a stale replica is repaired by a read, in the background', async () => {
    const key = 'stale.txt'
    const v1 = await a.refs.putRef(await ref('photos', key, 'one'), POLICY)
    await a.refs.settled()
    const [r1, r2, r3] = replicasOf(a, 'photos', key) as [string, string, string]
    // a newer version reaches two replicas only (as if the writer died after a majority)
    const v2: RefRecord = { ...(await ref('photos', key, 'two')), version: a.refs.clock.now() }
    const direct = t.peerClient(a.mesh)
    await direct.put(pid(r1), v2)
    await direct.put(pid(r2), v2)
    assert.ok(sameVersion((await held(byPeer(nodes, r3), { bucket: 'photos', key }))?.version, v1.record.version))
    const got = await b.refs.getRef('photos', key, POLICY)
    assert.ok(sameVersion(got?.version, v2.version), 'any majority includes a holder of the newest')
    await b.refs.settled()
    for (const r of [r1, r2, r3]) assert.ok(sameVersion((await held(byPeer(nodes, r), { bucket: 'photos', key }))?.version, v2.version), `${r} repaired`)
  })

  it('concurrent writers with skewed clocks: the newest HLC version wins on every replica', async () => {
    // a client whose wall clock is 30 s slow: its versions still order after what it has read
    const late = await t.client(nodes[2]!.node, {}, {
      clockFor: (peerId: string) => new HybridClock({ writer: peerId, wallClock: () => Date.now() - 30_000 })
    })
    const key = 'contended'
    const first = await a.refs.putRef(await ref('photos', key, 'a0'), POLICY)
    assert.ok(await late.refs.getRef('photos', key, POLICY))
    const second = await late.refs.putRef(await ref('photos', key, 'late'), POLICY)
    assert.ok(second.record.version.wallMs >= first.record.version.wallMs, 'the slow clock absorbed what it read')
    assert.ok(sameVersion((await b.refs.getRef('photos', key, POLICY))?.version, second.record.version), 'a slow clock cannot make its read-informed write lose')

    const writes = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const writer = [a, late, b][i % 3]!
      return writer.refs.putRef(await ref('photos', key, `w${i}`), POLICY)
    }))
    await Promise.all([a, late, b].map(async c => c.refs.settled()))
    const newest = writes.map(w => w.record).reduce((x, y) => (y.version.wallMs > x.version.wallMs ||
      (y.version.wallMs === x.version.wallMs && (y.version.counter > x.version.counter || (y.version.counter === x.version.counter && y.version.writer > x.version.writer)))) ? y : x)
    const got = await b.refs.getRef('photos', key, POLICY)
    assert.deepEqual(got, newest)
    await b.refs.settled()
    for (const r of replicasOf(a, 'photos', key)) assert.deepEqual(await held(byPeer(nodes, r), { bucket: 'photos', key }), newest)
    // a write that lost to a newer version says so
    const stale = await a.refs.putRef({ ...(await ref('photos', key, 'old')), version: first.record.version }, POLICY)
    assert.ok(sameVersion(stale.newerVersion, newest.version))
  })

  it('a tombstone hides the ref from reads and listings', async () => {
    await a.refs.putRef(await ref('docs', 'gone.txt', 'x'), POLICY)
    await a.refs.putRef(await ref('docs', 'kept.txt', 'y'), POLICY)
    const del = await b.refs.deleteRef('docs', 'gone.txt', POLICY)
    assert.equal(del.record.deleted, true)
    const got = await a.refs.getRef('docs', 'gone.txt', POLICY)
    assert.equal(got?.deleted, true)
    assert.equal(got?.manifest, undefined)
    const keys: string[] = []
    for await (const r of a.refs.listRefs('docs', POLICY)) keys.push(r.key)
    assert.deepEqual(keys, ['kept.txt'])
  })

  it('a replica that cannot serve refs is handed off to a fallback; the copy comes home on a later read', async () => {
    const key = 'handoff.bin'
    const [r1, r2, r3] = replicasOf(a, 'data', key) as [string, string, string]
    const fallback = a.mesh.placement().fallbacks(partitionOfRef('data', key), POLICY)[0]!.peerId
    const down = byPeer(nodes, r2)
    await down.refs.stop()
    try {
      const put = await a.refs.putRef(await ref('data', key, 'h'), POLICY)
      await a.refs.settled()
      assert.ok(put.acked.includes(r1) || put.acked.includes(r3))
      assert.ok((await held(byPeer(nodes, fallback), { bucket: 'data', key })) != null, 'the fallback holds a copy')
      const got = await b.refs.getRef('data', key, POLICY)
      assert.deepEqual(got, put.record)
    } finally {
      await down.refs.start()
    }
    // the replica is back (empty): a read finds it missing and repairs it
    await b.refs.getRef('data', key, POLICY)
    await b.refs.settled()
    assert.ok((await held(down, { bucket: 'data', key })) != null, 'read repair brought the copy home')
  })

  it('without a majority a write and a read fail with ERR_QUORUM', async () => {
    const key = 'no-quorum'
    const stopped = nodes.slice(1)
    await Promise.all(stopped.map(async n => n.refs.stop()))
    try {
      await assert.rejects(a.refs.putRef(await ref('data', key, 'q'), POLICY), (err: Error & { code?: string, needed?: number, answered?: number }) => {
        assert.equal(err.code, 'ERR_QUORUM')
        assert.equal(err.needed, 2)
        assert.ok((err.answered ?? 0) <= 1)
        return true
      })
      await assert.rejects(b.refs.getRef('data', key, POLICY), { code: 'ERR_QUORUM' })
      await assert.rejects(b.refs.getRef('data', key, { replicas: 5, spread: 'host' }), { code: 'ERR_POLICY_UNSATISFIABLE' })
    } finally {
      await Promise.all(stopped.map(async n => n.refs.start()))
    }
  })

  it('while a replica node is stopped, writes and reads go to the next node in the ranking', async () => {
    const key = 'node-down'
    const replicas = replicasOf(a, 'data', key)
    const victim = byPeer(nodes, replicas[0]!)
    await victim.node.stop()
    await waitFor('clients see it down', () => [a, b].every(c => c.mesh.member(victim.node.peerId)?.state === 'down'), 5000)
    const now = replicasOf(a, 'data', key)
    assert.ok(!now.includes(victim.node.peerId))
    const put = await a.refs.putRef(await ref('data', key, 'd'), POLICY)
    assert.deepEqual(await b.refs.getRef('data', key, POLICY), put.record)
  })
})

describe('refs: a majority of home replicas is enough (3 real nodes, r = 3)', function () {
  this.timeout(30_000)
  const t = new RefsHarness()
  after(async () => { await t.teardown() })

  it('with one of three nodes down (fewer live nodes than r), writes and reads still reach a majority', async () => {
    const nodes = await t.cluster(3)
    const a = await t.client(nodes[0]!.node)
    await waitFor('client sees 3', () => a.mesh.getMap().nodes.filter(n => n.state === 'up').length === 3)
    const victim = nodes[2]!
    await victim.node.stop()
    await waitFor('client sees it down', () => a.mesh.member(victim.node.peerId)?.state === 'down', 5000)
    assert.throws(() => replicasOf(a, 'data', 'k'), { code: 'ERR_POLICY_UNSATISFIABLE' }, 'placement alone cannot place 3 copies on 2 nodes')
    const put = await a.refs.putRef(await ref('data', 'degraded', 'x'), POLICY)
    assert.deepEqual([...put.acked].sort(), [nodes[0]!.node.peerId, nodes[1]!.node.peerId].sort())
    assert.deepEqual(await a.refs.getRef('data', 'degraded', POLICY), put.record)
  })
})

