/**
 * Garbage collection across real nodes on 127.0.0.1 with the embeddable
 * client: deleted, overwritten and abandoned data is freed on every node
 * after the grace period (and not before), shared chunks stay, a member
 * that cannot answer stops every sweep, the REFERENCED query is bounded and
 * members-only, and objects whose data is gone are named.
 */
import assert from 'node:assert/strict'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { peerIdFromString } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import {
  MAX_REFERENCED_BATCH, REFS_PROTOCOL, RefFrameDecoder, RefFrameType, chunkCidSync, createRefPeerClient, decodeRefErrorAnswer,
  encodeRefFrame, refsTransport, streamToDuplex
} from '@weft/protocol'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { ClientHarness, addr, patternBytes, sha256Hex, storedCids, waitFor } from './client-harness.js'
import type { Libp2p } from '@libp2p/interface'
import type { WeftClient } from '@weft/client'
import type { GcReport, WeftNode, WeftNodeInit } from '@weft/node'

const KiB = 1024
const GRACE_MS = 1500
/** no periodic sweep: each test sweeps when it means to */
const GC = { enabled: false, graceMs: GRACE_MS, tombstoneGraceMs: GRACE_MS, batchDelayMs: 0 }

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** A mesh of n nodes without the reconciler (nothing moves behind the test's back). */
async function mesh (t: ClientHarness, n: number, init: Partial<WeftNodeInit> = {}): Promise<WeftNode[]> {
  const seed = await t.node({ heal: false, gc: GC, ...init })
  const rest = await Promise.all(Array.from({ length: n - 1 }, async () => t.node({ heal: false, gc: GC, ...init, seeds: [addr(seed)] })))
  const all = [seed, ...rest]
  await t.converged(all)
  return all
}

async function union (nodes: WeftNode[]): Promise<Set<string>> {
  const out = new Set<string>()
  for (const n of nodes) for (const c of await storedCids(n)) out.add(c)
  return out
}

/** One sweep on each node in turn. */
async function sweepAll (nodes: WeftNode[]): Promise<GcReport[]> {
  const reports: GcReport[] = []
  for (const n of nodes) reports.push(await n.gc.runOnce())
  return reports
}

function used (nodes: WeftNode[]): number {
  return nodes.reduce((sum, n) => sum + n.store.usage().usedBytes, 0)
}

function chunkIds (bytes: Uint8Array, chunkSize: number): string[] {
  const out: string[] = []
  for (let at = 0; at < bytes.byteLength; at += chunkSize) out.push(chunkCidSync(bytes.subarray(at, at + chunkSize)).toString())
  return out
}

describe('garbage collection (3 real nodes)', function () {
  this.timeout(60_000)
  const t = new ClientHarness()
  let nodes: WeftNode[]
  let client: WeftClient
  const CHUNK = 64 * KiB

  before(async () => {
    nodes = await mesh(t, 3)
    client = await t.client(nodes[0]!)
    await client.createBucket('garbage', { replicas: 2, chunkSize: CHUNK })
  })
  after(async () => { await t.teardown() })

  it('frees the chunks of deleted and overwritten objects on every node after the grace period; shared chunks stay', async () => {
    const a = patternBytes(200 * KiB, 1)
    const b = patternBytes(150 * KiB, 2)
    const shared = patternBytes(130 * KiB, 3)
    const o1 = patternBytes(100 * KiB, 4)
    const o2 = patternBytes(90 * KiB, 5)
    const putA = await client.put('garbage', 'a', a)
    const putB = await client.put('garbage', 'b', b)
    const putS1 = await client.put('garbage', 'shared1', shared)
    const putS2 = await client.put('garbage', 'shared2', shared)
    const putO1 = await client.put('garbage', 'over', o1)
    const putO2 = await client.put('garbage', 'over', o2)
    await client.delete('garbage', 'a')
    await client.delete('garbage', 'shared1')
    const live = new Set([...chunkIds(b, CHUNK), putB.manifest, ...chunkIds(shared, CHUNK), putS2.manifest, ...chunkIds(o2, CHUNK), putO2.manifest])
    const garbage = new Set([...chunkIds(a, CHUNK), putA.manifest, putS1.manifest, ...chunkIds(o1, CHUNK), putO1.manifest])
    const stored = await union(nodes)
    for (const id of [...live, ...garbage]) assert.ok(stored.has(id), `${id} is stored somewhere`)

    // (the next test checks that nothing goes within the grace period: here the puts themselves may outlast it)
    await sleep(GRACE_MS + 300)
    const before = used(nodes)
    const reports = await sweepAll(nodes)
    for (const r of reports) assert.equal(r.skipped, undefined, r.skipped?.detail)
    const after = await union(nodes)
    assert.deepEqual(after, live, 'exactly the chunks of live objects are left, on every node')
    const freed = reports.reduce((sum, r) => sum + r.bytesFreed, 0)
    assert.ok(freed >= a.byteLength + o1.byteLength, `freed ${freed} bytes`)
    assert.equal(before - used(nodes), freed, 'used bytes drop by what was freed')
    assert.ok(reports.reduce((sum, r) => sum + r.tombstonesRemoved, 0) >= 2, 'tombstones past their grace are removed')
    for (const n of nodes) assert.equal(await n.refs.store.get({ bucket: 'garbage', key: 'a' }), undefined)
    const deletedMetric = await nodes[0]!.metrics.gcDeletedChunks.get()
    assert.equal(deletedMetric.values[0]?.value, reports[0]!.deleted)

    assert.equal(sha256Hex(await client.get('garbage', 'b').bytes()), sha256Hex(b))
    assert.equal(sha256Hex(await client.get('garbage', 'shared2').bytes()), sha256Hex(shared))
    assert.equal(sha256Hex(await client.get('garbage', 'over').bytes()), sha256Hex(o2))
    await assert.rejects(client.get('garbage', 'a').bytes(), { code: 'ERR_NOT_FOUND' })
  })

  it('collects chunks written without a ref after the grace period, not within it, and keeps a chunk a writer just probed', async () => {
    const x = patternBytes(50 * KiB, 10)
    const y = patternBytes(40 * KiB, 11)
    const cx = chunkCidSync(x)
    const cy = chunkCidSync(y)
    const wx = await nodes[0]!.writeChunk(cx, x, { replicas: 2, spread: 'host' })
    const wy = await nodes[0]!.writeChunk(cy, y, { replicas: 2, spread: 'host' })
    const holdersOf = async (cid: CID): Promise<number> => (await Promise.all(nodes.map(async n => (await n.store.has([cid]))[0]))).filter(Boolean).length

    await sweepAll(nodes)
    assert.equal(await holdersOf(cx), 2, 'kept within the grace period')
    assert.equal(await holdersOf(cy), 2)

    await sleep(GRACE_MS + 300)
    // a member asking (a reconciler, an audit) keeps nothing alive
    for (const h of wx.holders) assert.deepEqual(await nodes[1]!.chunks.client.has(peerIdFromString(h), [cx]), [true])
    // a client about to reuse y asks its holders whether they have it (its dedup probe)
    for (const h of wy.holders) assert.deepEqual(await client.mesh.chunkClient.has(peerIdFromString(h), [cy]), [true])
    await sweepAll(nodes)
    assert.equal(await holdersOf(cx), 0, `abandoned chunk gone from ${wx.holders.join(', ')}`)
    assert.equal(await holdersOf(cy), 2, 'a chunk touched by a HAS probe stays')

    await sleep(GRACE_MS + 300)
    await sweepAll(nodes)
    assert.equal(await holdersOf(cy), 0, 'and goes once the probe is older than the grace period')
  })

  it('answers REFERENCED to members only, in bounded batches', async () => {
    const bytes = patternBytes(70 * KiB, 20)
    const put = await client.put('garbage', 'asked', bytes)
    const holder = (await Promise.all(nodes.map(async n => ({ n, ref: await n.refs.store.get({ bucket: 'garbage', key: 'asked' }) })))).find(x => x.ref != null)!.n
    const asker = nodes.find(n => n !== holder)!
    const refs = createRefPeerClient({ transport: refsTransport(asker.libp2p) })
    const evil: Libp2p = await createLibp2p({
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionProtector: preSharedKey({ psk: new TextEncoder().encode(t.h.meshKey) })
    })
    try {
      const data = chunkCidSync(bytes.subarray(0, 64 * KiB))
      const never = chunkCidSync(patternBytes(100, 99))
      const answer = await refs.referenced(holder.libp2p.peerId, [never, data, chunkCidSync(bytes.subarray(64 * KiB)), CID.parse(put.manifest)])
      assert.deepEqual(answer, { referenced: [false, true, true, true], complete: true })

      const tooMany = Array.from({ length: MAX_REFERENCED_BATCH + 1 }, (_, i) => chunkCidSync(patternBytes(8, i)))
      await assert.rejects(refs.referenced(holder.libp2p.peerId, tooMany), { code: 'ERR_BATCH_TOO_LARGE' })

      // a peer with the mesh key that is not a member is refused
      const outsider = createRefPeerClient({ transport: refsTransport(evil) })
      await evil.dial(multiaddr(addr(holder)))
      await assert.rejects(outsider.referenced(holder.libp2p.peerId, [data]), { code: 'ERR_NOT_MEMBER' })
      await outsider.close()

      // an oversized batch on the wire is refused on its count, and the session goes on
      const stream = streamToDuplex(await evil.dialProtocol(multiaddr(addr(holder)), REFS_PROTOCOL))
      const body = new Uint8Array(3 + (MAX_REFERENCED_BATCH + 1) * 32)
      body.set([0x81, 0x08]) // varint 1025
      await stream.write(encodeRefFrame(RefFrameType.REFERENCED, 7, body.subarray(0, 2 + (MAX_REFERENCED_BATCH + 1) * 32)))
      const decoder = new RefFrameDecoder(1 << 20)
      const it = stream.source[Symbol.asyncIterator]()
      while (true) {
        const next = await it.next()
        assert.notEqual(next.done, true, 'the server answers before closing')
        decoder.push(next.value as Uint8Array)
        const [frame] = decoder.take()
        if (frame === undefined) continue
        assert.equal(frame.type, RefFrameType.ERROR)
        assert.equal(frame.requestId, 7)
        assert.equal(decodeRefErrorAnswer(frame.body).code, 'ERR_BATCH_TOO_LARGE')
        break
      }
      stream.abort(new Error('done'))
    } finally {
      await refs.close()
      await evil.stop()
    }
  })
})

describe('garbage collection safety and the lost-object audit', function () {
  this.timeout(60_000)
  let t: ClientHarness

  beforeEach(() => { t = new ClientHarness() })
  afterEach(async () => { await t.teardown() })

  it('deletes nothing while a member that is not out cannot answer, and says why', async () => {
    const nodes = await mesh(t, 3)
    const client = await t.client(nodes[0]!)
    await client.createBucket('safe', { replicas: 2, chunkSize: 32 * KiB })
    const bytes = patternBytes(100 * KiB, 30)
    const put = await client.put('safe', 'x', bytes)
    await client.delete('safe', 'x')
    const garbage = [...chunkIds(bytes, 32 * KiB), put.manifest]
    await sleep(GRACE_MS + 300)
    const [a, b, c] = nodes as [WeftNode, WeftNode, WeftNode]
    await c.stop()
    await waitFor('the stopped member is seen as not up', () => [a, b].every(n => ['left', 'down'].includes(n.member(c.peerId)?.liveness ?? '')))
    for (const n of [a, b]) {
      const r = await n.gc.runOnce()
      assert.equal(r.skipped?.reason, 'member-unreachable')
      assert.match(r.skipped.detail, new RegExp(c.peerId))
      assert.equal(r.deleted, 0)
    }
    const held = await union([a, b])
    assert.ok(garbage.some(id => held.has(id)), 'the garbage is still there')
    assert.equal((await a.metrics.gcSkipped.get()).values.find(v => v.labels.reason === 'member-unreachable')?.value, 1)

    // once it is out, its refs no longer count and the sweep goes ahead
    await waitFor('the stopped member is out', () => [a, b].every(n => n.member(c.peerId)?.liveness === 'out'), 20_000)
    for (const r of await sweepAll([a, b])) assert.equal(r.skipped, undefined, r.skipped?.detail)
    const left = await union([a, b])
    assert.ok(garbage.every(id => !left.has(id)), 'the garbage is gone')
  })

  it('names objects whose manifest or chunks no member holds, reads of them fail, and their chunks are kept', async () => {
    const nodes = await mesh(t, 3)
    const client = await t.client(nodes[0]!)
    const CHUNK = 16 * KiB
    await client.createBucket('lossy', { replicas: 1, chunkSize: CHUNK })
    interface Obj { key: string, bytes: Uint8Array, manifest: string, refAt: WeftNode, manifestAt: WeftNode, chunksAt: WeftNode[] }
    const objects: Obj[] = []
    const holderOf = async (id: string): Promise<WeftNode> => {
      for (const n of nodes) if ((await storedCids(n)).has(id)) return n
      throw new Error(`nobody holds ${id}`)
    }
    // r = 1 and placement decide who holds what: pick a victim whose loss takes both a manifest and a lone data chunk
    let victim: WeftNode | undefined
    for (let i = 0; i < 24 && victim === undefined; i++) {
      const bytes = patternBytes(3 * CHUNK, 100 + i)
      const put = await client.put('lossy', `obj-${i}`, bytes)
      const refAt = (await Promise.all(nodes.map(async n => ({ n, r: await n.refs.store.get({ bucket: 'lossy', key: `obj-${i}` }) })))).find(x => x.r != null)!.n
      objects.push({ key: `obj-${i}`, bytes, manifest: put.manifest, refAt, manifestAt: await holderOf(put.manifest), chunksAt: await Promise.all(chunkIds(bytes, CHUNK).map(holderOf)) })
      victim = nodes.find(v => objects.some(o => o.refAt !== v && o.manifestAt === v) &&
        objects.some(o => o.refAt !== v && o.manifestAt !== v && o.chunksAt.includes(v)) &&
        objects.some(o => o.refAt !== v && o.manifestAt !== v && !o.chunksAt.includes(v)))
    }
    assert.ok(victim !== undefined, 'placement spread 24 objects over the 3 nodes')
    const v = victim
    const survivors = nodes.filter(n => n !== v)
    await v.stop()
    await waitFor('the victim is out', () => survivors.every(n => n.member(v.peerId)?.liveness === 'out'), 20_000)
    await sleep(GRACE_MS)

    const heldBefore = await union(survivors)
    const reports = await sweepAll(survivors)
    // a client of its own: the writer still caches the manifests it wrote
    const reader = await t.client(survivors[0]!)
    const lost = new Map(reports.flatMap(r => r.lost).map(l => [l.key, l]))
    for (const o of objects) {
      if (o.refAt === v) continue
      const expected = o.manifestAt === v ? 'manifest-missing' : o.chunksAt.includes(v) ? 'chunk-missing' : undefined
      assert.equal(lost.get(o.key)?.reason, expected, `${o.key}: manifest on ${o.manifestAt === v ? 'the victim' : 'a survivor'}`)
      if (expected !== undefined) {
        assert.equal(lost.get(o.key)?.bucket, 'lossy')
        await assert.rejects(reader.get('lossy', o.key).bytes(), `${o.key} (${expected}) is not served`)
      } else {
        assert.equal(sha256Hex(await reader.get('lossy', o.key).bytes()), sha256Hex(o.bytes))
      }
    }
    // a manifest nobody holds lists chunks nobody can know: the sweep deletes nothing and says so
    const skipped = reports.filter(r => r.skipped !== undefined)
    assert.ok(skipped.length > 0 && skipped.every(r => r.skipped?.reason === 'incomplete'))
    assert.ok(reports.every(r => r.deleted === 0))
    assert.deepEqual(await union(survivors), heldBefore)
    const reporter = survivors.find(n => n.gc.lost().length > 0)!
    assert.equal((await reporter.metrics.lostObjects.get()).values[0]?.value, reporter.gc.lost().length)
  })
})
