/**
 * Self-healing on real nodes (127.0.0.1, short timings): a node joins and
 * takes its share, a node is lost and its data re-replicated, a short blip
 * copies nothing, a drained node ends empty.
 */
import assert from 'node:assert/strict'
import { BUCKET, HealHarness, POLICY, addr, copiedBytes, placed, readerLoop, settleAll, waitFor } from './heal-helpers.js'
import { corruptChunkFile, sha256Hex } from './client-harness.js'
import { sleep } from './membership-helpers.js'
import type { WeftClient } from '@weft/client'
import type { WeftNode } from '@weft/node'

describe('self-healing (real nodes, r = 3)', function () {
  this.timeout(180_000)
  let t: HealHarness
  let nodes: WeftNode[]
  let client: WeftClient

  beforeEach(async () => {
    t = new HealHarness()
    nodes = await t.healCluster(4)
    client = await t.client(nodes[0]!)
    await client.createBucket(BUCKET, POLICY)
  })
  afterEach(async () => { await t.teardown() })

  it('a 5th node joins: every chunk and ref ends on its replica set, copying only the new node\'s share, while reads never fail', async () => {
    await t.fill(client, 80)
    await settleAll(nodes)
    const before = await copiedBytes(nodes)
    assert.equal(before, 0, 'a settled mesh copies nothing')
    const reader = readerLoop(t, client)

    const added = await t.healNode({ seeds: [addr(nodes[0]!)], zone: 'z4' })
    const all = [...nodes, added]
    await t.converged(all)
    await settleAll(all)
    const { reads, errors } = await reader.stop()

    const p = await placed(all)
    assert.deepEqual(p.misplaced, [], 'every chunk sits exactly on its replica set')
    assert.deepEqual(p.misplacedRefs, [], 'every ref sits exactly on its replica set')
    // the ideal: every byte the new node owns now, copied once; nothing else
    let ideal = 0
    for (const [key, set] of p.holders) if (set.has(added.peerId)) ideal += p.sizes.get(key)!
    const copied = await copiedBytes(all) - before
    assert.ok(ideal > 0, 'the new node owns a share')
    assert.ok(Math.abs(copied / ideal - 1) <= 0.1, `copied ${copied} bytes for an ideal of ${ideal}`)
    assert.deepEqual(errors, [], `${errors.length} of ${reads} reads failed`)
    assert.ok(reads > 0)
    assert.deepEqual(await t.readAll(client), [])
  })

  it('a node lost and declared out: every chunk and ref is back to r copies on the others, copying what it held', async () => {
    await t.fill(client, 60)
    await settleAll(nodes)
    const victim = nodes[3]!
    const held = victim.store.usage().usedBytes
    const survivors = nodes.slice(0, 3)
    await victim.stop()
    // only 3 zones remain for r = 3: still one copy per zone
    await Promise.all(survivors.map(async n => t.waitOut(n, victim.peerId)))
    await settleAll(survivors)

    const p = await placed(survivors)
    assert.deepEqual(p.underReplicated, [], 'every chunk has r copies again')
    assert.deepEqual(p.misplaced, [])
    assert.deepEqual(p.misplacedRefs, [])
    const copied = await copiedBytes(survivors)
    assert.ok(Math.abs(copied / held - 1) <= 0.1, `copied ${copied} bytes for ${held} lost`)
    assert.deepEqual(await t.readAll(client), [])
  })

  it('a node down for less than the out timeout, then back: nothing is copied', async () => {
    await t.fill(client, 30)
    await settleAll(nodes)
    const victim = nodes[2]!
    const others = nodes.filter(n => n !== victim)
    await victim.stop()
    await sleep(1500)
    assert.ok(others.every(n => n.member(victim.peerId)?.liveness !== 'out'))
    const back = await t.healNode({ dataDir: victim.dataDir, zone: 'z2', seeds: [addr(nodes[0]!)] })
    const all = [...others, back]
    await t.converged(all)
    await settleAll(all)
    assert.equal(await copiedBytes(all), 0, 'a blip copies nothing')
    const p = await placed(all)
    assert.deepEqual(p.misplaced, [])
  })

  it('a drained node ends holding nothing, with r copies of everything elsewhere, and says it can be removed', async () => {
    await t.fill(client, 40)
    await settleAll(nodes)
    const extra = await t.healNode({ seeds: [addr(nodes[0]!)], zone: 'z4' })
    const all = [...nodes, extra]
    await t.converged(all)
    await settleAll(all)
    const drained = nodes[1]!
    assert.ok(drained.store.usage().chunkCount > 0)
    const status = await drained.drain()
    assert.equal(status.draining, true)
    await waitFor('others see the drain', () => all.every(n => n.member(drained.peerId)?.record.state === 'draining'))
    await settleAll(all)

    const after = await drained.healStatus()
    assert.equal(drained.store.usage().chunkCount, 0, 'no chunk left')
    assert.equal(after.drained, true)
    const rest = all.filter(n => n !== drained)
    const p = await placed(rest)
    assert.deepEqual(p.underReplicated, [])
    assert.deepEqual(p.misplaced, [])
    assert.deepEqual(p.misplacedRefs, [])
    await drained.stop()
    assert.deepEqual(await t.readAll(client), [])
  })

  it('scrub finds a corrupted chunk file, quarantines it and puts a good copy back; reads never see the bad bytes', async () => {
    await t.fill(client, 10)
    await settleAll(nodes)
    const victim = nodes[1]!
    const listed: string[] = []
    for await (const c of victim.store.list()) listed.push(c.cid.toString())
    const target = listed[0]!
    await corruptChunkFile(victim, target)
    assert.deepEqual(await t.readAll(client), [], 'reads verify: a bad copy is never served')

    const stats = await victim.scrub!.runOnce()
    assert.ok(stats.corruptFound >= 1, 'scrub found the bad copy')
    assert.ok(stats.repaired >= 1, 'and replaced it')
    const again: string[] = []
    for await (const c of victim.store.list()) again.push(c.cid.toString())
    assert.ok(again.includes(target), 'the chunk is held again')
    const { CID } = await import('multiformats/cid')
    assert.equal(await victim.store.verify(CID.parse(target)), true, 'and whole')
    assert.ok(victim.store.counters().corruptChunks >= 1)
    assert.deepEqual(await t.readAll(client), [])
  })
})

describe('self-healing: losing two of five nodes at once (r = 3)', function () {
  this.timeout(180_000)
  const t = new HealHarness()
  after(async () => { await t.teardown() })

  it('loses nothing: every chunk and ref is back to r copies on the three left', async () => {
    const nodes = await t.healCluster(5)
    const client = await t.client(nodes[0]!)
    await client.createBucket(BUCKET, POLICY)
    await t.fill(client, 40)
    await settleAll(nodes)
    const survivors = nodes.slice(0, 3)
    await Promise.all(nodes.slice(3).map(async n => n.stop()))
    await Promise.all(survivors.flatMap(s => nodes.slice(3).map(async n => t.waitOut(s, n.peerId))))
    await settleAll(survivors)
    const p = await placed(survivors)
    assert.deepEqual(p.underReplicated, [])
    assert.deepEqual(p.misplaced, [])
    assert.deepEqual(p.misplacedRefs, [])
    assert.deepEqual(await t.readAll(client), [])
  })
})

describe('self-healing: losing three of five nodes at once (r = 3)', function () {
  this.timeout(180_000)
  const t = new HealHarness()
  after(async () => { await t.teardown() })

  it('names the objects that lost every copy of some chunk, and never serves wrong bytes', async () => {
    const nodes = await t.healCluster(5)
    const client = await t.client(nodes[0]!)
    await client.createBucket(BUCKET, POLICY)
    await t.fill(client, 40)
    await settleAll(nodes)
    const survivors = nodes.slice(0, 2)
    await Promise.all(nodes.slice(2).map(async n => n.stop()))
    await Promise.all(survivors.flatMap(s => nodes.slice(2).map(async n => t.waitOut(s, n.peerId))))
    await settleAll(survivors)

    // what a reader sees now (a fresh client: no manifest cached from the writes): whole objects,
    // objects whose data is gone, and objects whose every ref copy is gone
    const reader = await t.client(survivors[0]!)
    const failed = new Set<string>()
    const unknown = new Set<string>()
    for (const [key, hex] of t.objects) {
      try {
        const bytes = await reader.get(BUCKET, key).bytes()
        assert.equal(sha256Hex(bytes), hex, `${key} came back with wrong bytes`)
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_NOT_FOUND') unknown.add(key)
        else failed.add(key)
      }
    }
    const reports = await Promise.all(survivors.map(async n => n.gc.runOnce()))
    const named = new Set(reports.flatMap(r => r.lost).filter(l => l.bucket === BUCKET).map(l => l.key))
    assert.ok(failed.size > 0, 'with 3 of 5 nodes gone, some objects lost every copy of a chunk')
    assert.deepEqual([...failed].sort(), [...named].sort(), 'exactly the unreadable objects are named as lost')
    for (const key of unknown) assert.ok(!named.has(key))
  })
})

describe('self-healing and garbage collection together', function () {
  this.timeout(120_000)
  const t = new HealHarness()
  after(async () => { await t.teardown() })

  it('deleted objects free their space even though reconcilers keep asking every owner about every chunk', async () => {
    const graceMs = 1000
    const nodes = await t.healCluster(3, { gc: { enabled: false, graceMs, tombstoneGraceMs: graceMs, batchDelayMs: 0 } })
    const client = await t.client(nodes[0]!)
    await client.createBucket(BUCKET, POLICY)
    await t.fill(client, 6)
    const used = (): number => nodes.reduce((sum, n) => sum + n.store.usage().usedBytes, 0)
    const full = used()
    for (const key of ['obj/0', 'obj/1', 'obj/2']) {
      await client.delete(BUCKET, key)
      t.objects.delete(key)
    }
    await sleep(graceMs + 300)
    // every chunk was just HAS-checked on every owner by the reconcilers
    await Promise.all(nodes.map(async n => n.heal!.runOnce()))
    for (const n of nodes) await n.gc.runOnce()
    assert.ok(used() < full * 0.6, `used ${used()} of ${full} bytes after deleting half the objects`)
    assert.deepEqual(await t.readAll(client), [])
  })
})
