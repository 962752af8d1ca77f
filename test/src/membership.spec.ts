import assert from 'node:assert/strict'
import { createNode } from '@weft/node'
import { Harness, TIMINGS, addr, allSee, livenessOf, waitFor } from './membership-helpers.js'
import type { Member } from '@weft/node'

describe('membership (multi-node, real TCP on 127.0.0.1)', function () {
  this.timeout(45_000)
  let h: Harness

  beforeEach(() => { h = new Harness() })
  afterEach(async () => { await h.teardown() })

  it('10 nodes join through one seed and every node sees all 10 up', async () => {
    const seed = await h.node()
    const start = performance.now()
    const joiners = await Promise.all(Array.from({ length: 9 }, async () => h.node({ seeds: [addr(seed)] })))
    const nodes = [seed, ...joiners]
    const ids = nodes.map(n => n.peerId)
    await waitFor('all 10 up everywhere', () => allSee(nodes, ids, 'up'), 30_000)
    const took = performance.now() - start
    console.log(`      10 nodes converged ${took.toFixed(0)} ms after the joiners started`)
    for (const n of nodes) {
      const map = n.getMap()
      assert.equal(map.nodes.length, 10)
      assert.ok(map.nodes.every(x => x.state === 'up' && x.weight === 1e9))
      assert.deepEqual(map.nodes.map(x => x.peerId), [...ids].sort())
      assert.ok(Object.isFrozen(map) && Object.isFrozen(map.nodes))
      const self = n.member(n.peerId)
      assert.equal(self?.self, true)
    }
    // records carry what a member said about itself, verified
    const m = seed.member(joiners[0]!.peerId)!
    assert.equal(m.record.meshId, seed.meshId)
    assert.deepEqual(m.record.addrs, joiners[0]!.getMultiaddrs().map(a => a.toString().replace(/\/p2p\/.*$/, '')))
    // joiners dial each other: no star around the seed
    // (dialing runs beside gossip, so under load it may finish after convergence)
    await waitFor('joiners connected beyond the seed', () => joiners.every(j => j.libp2p.getPeers().length > 1), 15_000)
  })

  it('a gracefully stopped node is left on all others promptly, then out', async () => {
    const nodes = await h.cluster(4)
    const ids = nodes.map(n => n.peerId)
    await waitFor('4 up', () => allSee(nodes, ids, 'up'))
    const [victim, ...rest] = [nodes[1]!, nodes[0]!, nodes[2]!, nodes[3]!]
    const versions = rest.map(n => n.getMap().version)
    const left = new Map<string, number>()
    const out = new Map<string, number>()
    for (const n of rest) {
      n.addEventListener('member:left', (e) => { if (e.detail.peerId === victim.peerId) left.set(n.peerId, performance.now()) })
      n.addEventListener('member:out', (e) => { if (e.detail.peerId === victim.peerId) out.set(n.peerId, performance.now()) })
    }
    const t0 = performance.now()
    await victim.stop()
    await victim.stop() // idempotent
    assert.equal(victim.status, 'stopped')
    assert.equal(victim.libp2p.getConnections().length, 0)
    await waitFor('left everywhere', () => left.size === 3, 5000)
    const slowest = Math.max(...left.values()) - t0
    console.log(`      left seen everywhere ${slowest.toFixed(0)} ms after stop() began`)
    assert.ok(slowest < TIMINGS.suspectAfterMs, 'left must come from the goodbye, not from silence')
    for (const [i, n] of rest.entries()) {
      assert.equal(livenessOf(n, victim.peerId), 'left')
      // placement treats a leaver as down until it is out: a restart moves no data
      assert.equal(n.getMap().nodes.find(x => x.peerId === victim.peerId)?.state, 'down')
      assert.ok(n.getMap().version > (versions[i] ?? 0))
    }
    await waitFor('out everywhere', () => out.size === 3, TIMINGS.outAfterMs + 4000)
    for (const n of rest) assert.equal(n.getMap().nodes.find(x => x.peerId === victim.peerId)?.state, 'out')
    assert.ok(Math.min(...out.values()) - t0 >= TIMINGS.outAfterMs - 2 * TIMINGS.heartbeatMs)
  })

  it('a node whose process vanishes goes suspect, then down, then out on all others', async () => {
    const nodes = await h.cluster(3)
    const child = await h.child([addr(nodes[0]!)])
    const ids = [...nodes.map(n => n.peerId), child.peerId]
    await waitFor('child up everywhere', () => allSee(nodes, ids, 'up'))
    const seen: Record<string, Map<string, number>> = { suspect: new Map(), down: new Map(), out: new Map(), left: new Map() }
    for (const n of nodes) {
      for (const kind of ['suspect', 'down', 'out', 'left'] as const) {
        n.addEventListener(`member:${kind}`, (e: CustomEvent<Member>) => { if (e.detail.peerId === child.peerId) seen[kind]!.set(n.peerId, performance.now()) })
      }
    }
    const killedAt = performance.now()
    child.proc.kill('SIGKILL')
    await waitFor('out everywhere', () => seen.out!.size === 3, TIMINGS.outAfterMs + 5000)
    const hb = TIMINGS.heartbeatMs
    const margin = 1500
    for (const n of nodes) {
      const s = seen.suspect!.get(n.peerId)! - killedAt
      const d = seen.down!.get(n.peerId)! - killedAt
      const o = seen.out!.get(n.peerId)! - killedAt
      console.log(`      ${n.peerId.slice(-6)}: suspect ${s.toFixed(0)} ms, down ${d.toFixed(0)} ms, out ${o.toFixed(0)} ms after SIGKILL`)
      assert.ok(s >= TIMINGS.suspectAfterMs - 2 * hb && s <= TIMINGS.suspectAfterMs + margin, `suspect at ${s}`)
      assert.ok(d >= TIMINGS.downAfterMs - 2 * hb && d <= TIMINGS.downAfterMs + margin, `down at ${d}`)
      assert.ok(o >= TIMINGS.outAfterMs - 2 * hb && o <= TIMINGS.outAfterMs + margin, `out at ${o}`)
      assert.ok(s < d && d < o)
      assert.equal(n.getMap().nodes.find(x => x.peerId === child.peerId)?.state, 'out')
    }
    assert.equal(seen.left!.size, 0, 'no goodbye was said')
  })

  it('a node restarted on the same data dir is the same peer with a higher seq, up everywhere', async () => {
    const nodes = await h.cluster(3)
    const ids = nodes.map(n => n.peerId)
    await waitFor('3 up', () => allSee(nodes, ids, 'up'))
    const victim = nodes[2]!
    const dataDir = victim.dataDir
    const oldSeq = nodes[0]!.member(victim.peerId)!.record.seq
    await victim.stop()
    await waitFor('left', () => livenessOf(nodes[0]!, victim.peerId) === 'left' && livenessOf(nodes[1]!, victim.peerId) === 'left')
    const leftSeq = nodes[0]!.member(victim.peerId)!.record.seq
    assert.ok(leftSeq > oldSeq)
    // no seeds: it rejoins through the members it remembers
    const again = await h.node({ dataDir })
    assert.equal(again.peerId, victim.peerId)
    const everyone = [nodes[0]!, nodes[1]!, again]
    await waitFor('back up everywhere', () => allSee(everyone, ids, 'up'))
    assert.ok(nodes[0]!.member(again.peerId)!.record.seq > leftSeq)
    assert.ok(again.record!.seq > leftSeq)
  })

  it('after the seed stops the rest keep converging and a newcomer joins through any member', async () => {
    const nodes = await h.cluster(4)
    const ids = nodes.map(n => n.peerId)
    await waitFor('4 up', () => allSee(nodes, ids, 'up'))
    const [seed, a, b, c] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0], typeof nodes[0]]
    await seed.stop()
    b.updateRecord({ load: { inFlight: 3, mbps: 12.5 }, bulkAddr: '/ip4/127.0.0.1/tcp/9999' })
    await waitFor('b\'s new record everywhere', () => [a, c].every(n => n.member(b.peerId)?.record.load.inFlight === 3))
    const newcomer = await h.node({ seeds: [addr(c)] })
    const live = [a, b, c, newcomer]
    await waitFor('newcomer up everywhere', () => allSee(live, live.map(n => n.peerId), 'up'))
    assert.equal(newcomer.member(b.peerId)?.record.bulkAddr, '/ip4/127.0.0.1/tcp/9999')
    // the newcomer learns of the departed seed as left, not as a live member
    await waitFor('newcomer knows the seed left', () => livenessOf(newcomer, seed.peerId) === 'left')
  })

  it('refuses to start without a mesh key unless told to run open, and rejects bad keys', async () => {
    await assert.rejects(createNode({ dataDir: await h.dir() }), { code: 'ERR_MESH_KEY_REQUIRED' })
    await assert.rejects(createNode({ dataDir: await h.dir(), meshKey: 'not a key' }), { code: 'ERR_INVALID_MESH_KEY' })
    const open = await createNode({ dataDir: await h.dir(), insecureOpen: true, capacityBytes: 1 })
    h.nodes.push(open)
    assert.notEqual(open.meshId, (await h.node()).meshId)
  })

  it('publishes usage and capacity in its record, from a hook or the data dir', async () => {
    let used = 1234
    const node = await h.node({ usage: () => ({ usedBytes: used, full: false }), timings: { ...TIMINGS, heartbeatMs: 50, suspectAfterMs: 1000 } })
    const peer = await h.node({ seeds: [addr(node)] })
    await waitFor('usage from hook', () => peer.member(node.peerId)?.record.usedBytes === 1234)
    used = 5678
    node.setUsage({ usedBytes: 4321, full: true })
    await waitFor('usage pushed', () => peer.member(node.peerId)?.record.full === true)
    assert.equal(peer.member(node.peerId)?.record.usedBytes, 4321)
    await waitFor('usage polled again', () => peer.member(node.peerId)?.record.usedBytes === 5678)
    const statfsNode = await createNode({ dataDir: await h.dir(), meshKey: h.meshKey })
    h.nodes.push(statfsNode)
    await statfsNode.start()
    assert.ok((statfsNode.record?.capacityBytes ?? 0) > 1e6, 'capacity measured with statfs')
    assert.throws(() => { node.updateRecord({ zone: 'a/b/c/d/e' }) }, { code: 'ERR_INVALID_RECORD' })
  })
})
