import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signRecord } from '@weft/protocol'
import { MemberView } from '../../src/mesh/member-view.js'
import type { PrivateKey } from '@libp2p/interface'
import type { NodeRecord, SignedRecord } from '@weft/protocol'

const MESH = 'a'.repeat(32)

async function member (): Promise<{ id: string, sign: (seq: number, patch?: Partial<NodeRecord>) => Promise<SignedRecord> }> {
  const key: PrivateKey = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  return {
    id,
    sign: async (seq, patch = {}) => signRecord({
      peerId: id, seq, meshId: MESH, zone: 'eu/dc1', addrs: ['/ip4/127.0.0.1/tcp/1'], bulkAddr: '', capacityBytes: 10, usedBytes: 0, weight: 10,
      state: 'up', load: { inFlight: 0, mbps: 0 }, full: false, version: 't', startedAt: 1, ...patch
    }, key)
  }
}

describe('client member view', () => {
  let clock = 0
  const view = (): MemberView => new MemberView({ downAfterMs: 1000, maxMembers: 16, now: () => clock })

  beforeEach(() => { clock = 10_000 })

  it('follows records and liveness: up, silent -> down, heard again -> up; leaving and draining', async () => {
    const v = view()
    const a = await member()
    const b = await member()
    assert.deepEqual(v.ingest(await a.sign(1), 0, { beat: 1 }).changes.map(c => c.kind), ['up'])
    // relayed by a sync: b was last heard 300 ms ago
    assert.deepEqual(v.ingest(await b.sign(1), 300).changes.map(c => c.kind), ['up'])
    const v1 = v.getMap()
    assert.deepEqual(v1.nodes.map(n => [n.peerId, n.state]), [[a.id, 'up'], [b.id, 'up']].sort())
    assert.equal(v.getMap(), v1, 'same snapshot while nothing changes')
    clock += 600
    assert.deepEqual(v.evaluateAll(), [])
    clock += 200
    // b was last heard 1100 ms ago (300 before it was relayed), a 800 ms ago
    assert.deepEqual(v.evaluateAll().map(c => [c.kind, c.member.peerId]), [['down', b.id]])
    clock += 300
    assert.deepEqual(v.evaluateAll().map(c => [c.kind, c.member.peerId]), [['down', a.id]])
    assert.ok(v.getMap().version > v1.version)
    assert.equal(v.member(a.id)?.state, 'down')
    // a replayed heartbeat is no sign of life; a fresh one is
    assert.equal(v.isFresh(a.id, 1, 1), false)
    assert.deepEqual(v.heard(a.id, 1, 2).map(c => c.kind), ['up'])
    // a new record with a weight change is an update of the map; draining is its own placement state
    const before = v.getMap().version
    assert.deepEqual(v.ingest(await a.sign(2, { weight: 20 }), 0, { beat: 3 }).changes.map(c => c.kind), ['updated'])
    assert.equal(v.getMap().nodes.find(n => n.peerId === a.id)?.weight, 20)
    assert.ok(v.getMap().version > before)
    v.ingest(await a.sign(3, { state: 'draining' }), 0, { beat: 4 })
    assert.equal(v.member(a.id)?.state, 'draining')
    // leaving is down at once, whatever the silence
    assert.deepEqual(v.ingest(await a.sign(4, { state: 'leaving' }), 0, { beat: 5 }).changes.map(c => c.kind), ['down'])
    // stale records change nothing
    assert.equal(v.ingest(await a.sign(2), 0, { beat: 6 }).result, 'stale')
    assert.equal(v.member(a.id)?.record.seq, 4)
  })

  it('when full, forgets the member down the longest to make room; never a live one', async () => {
    const v = new MemberView({ downAfterMs: 1000, maxMembers: 2, now: () => clock })
    const [a, b, c, d] = await Promise.all([member(), member(), member(), member()])
    v.ingest(await a.sign(1), 0, { beat: 1 })
    clock += 500
    v.ingest(await b.sign(1), 0, { beat: 1 })
    assert.equal(v.ingest(await c.sign(1), 0, { beat: 1 }).result, 'full', 'both live: no room')
    clock += 1200
    v.evaluateAll()
    // a and b are down now; a has been silent longer
    assert.equal(v.ingest(await c.sign(1), 0, { beat: 1 }).result, 'added')
    assert.deepEqual(v.getMap().nodes.map(n => n.peerId).sort(), [b.id, c.id].sort())
    assert.equal(v.ingest(await d.sign(1), 0, { beat: 1 }).result, 'added')
    assert.deepEqual(v.getMap().nodes.map(n => n.peerId).sort(), [c.id, d.id].sort())
  })

  it('a member long silent when first heard of joins as down, without an event', async () => {
    const v = view()
    const a = await member()
    const { changes } = v.ingest(await a.sign(1), 5000)
    assert.deepEqual(changes, [])
    assert.equal(v.getMap().nodes[0]?.state, 'down')
    assert.equal(v.members().length, 1)
  })
})
