/**
 * Reads that feed training, against real nodes on 127.0.0.1: zone-local
 * replicas, a slowed replica (a TCP delay proxy in front of it), a corrupted
 * replica file, a stopped replica node, read-your-writes with a ref replica
 * down.
 */
import assert from 'node:assert/strict'
import { createPlacement, partitionOfDigest, partitionOfRef } from '@weft/placement'
import { asChunkCid, decodeManifestNode } from '@weft/protocol'
import { ClientHarness, corruptChunkFile, patternBytes, servedGets, sha256Hex, storedCids, waitFor } from './client-harness.js'
import type { DelayProxy } from './client-delay-proxy.js'
import type { ReplicaFault, WeftClient } from '@weft/client'
import type { WeftNode } from '@weft/node'
import type { CID } from 'multiformats/cid'

const KiB = 1024
const ZONES = ['eu/a/r1/h1', 'eu/b/r1/h2', 'eu/c/r1/h3', 'eu/d/r1/h4']

describe('client reads (4 real nodes in 4 zones, one behind a delay proxy)', function () {
  this.timeout(90_000)
  const t = new ClientHarness()
  let nodes: WeftNode[]
  let slow: WeftNode
  let proxy: DelayProxy
  let writer: WeftClient

  before(async () => {
    const seed = await t.node({ zone: ZONES[0] })
    const others = await Promise.all([1, 2].map(async i => t.node({ zone: ZONES[i], seeds: [seed.getMultiaddrs()[0]!.toString()] })))
    ;({ node: slow, proxy } = await t.slowNode(0, { zone: ZONES[3], seeds: [seed.getMultiaddrs()[0]!.toString()] }))
    nodes = [seed, ...others, slow]
    await t.converged(nodes)
    writer = await t.client(seed)
    // r = 4: every chunk on every node, so each reader has a same-zone replica and the slow node holds everything
    await writer.createBucket('everywhere', { replicas: 4, spread: 'zone', chunkSize: 256 * KiB })
  })
  after(async () => { await t.teardown() })

  it('a client in zone A reads from the zone-A replica (node metrics)', async () => {
    const bytes = patternBytes(6 * 256 * KiB + 3, 21)
    await writer.put('everywhere', 'local', bytes)
    // hedging off: this is about the order replicas are asked in (hedging has its own test below;
    // on a busy box it would send a few of these reads elsewhere)
    const reader = await t.client(nodes[1]!, { zone: 'eu/a/r9/h9', reads: { maxAttempts: 1 } })
    const before = await Promise.all(nodes.map(servedGets))
    for (let i = 0; i < 3; i++) assert.equal(sha256Hex(await reader.get('everywhere', 'local').bytes()), sha256Hex(bytes))
    const after = await Promise.all(nodes.map(servedGets))
    const served = after.map((a, i) => a.ok - (before[i]?.ok ?? 0))
    // 7 chunks x 3 reads, plus the manifest once (then cached)
    const total = served.reduce((a, b) => a + b, 0)
    assert.ok(total >= 22, `${total} gets served`)
    assert.ok(served[0]! >= 22, `the zone-A node served ${served[0]} of ${total} (per node: ${served.join(', ')})`)
    assert.deepEqual(served.slice(1), [0, 0, 0], `per node: ${served.join(', ')}`)
    assert.equal(reader.readStats().peers.get(nodes[0]!.peerId)?.ok, 22)
  })

  it('with one replica slowed down, gets are served by the others and hedging keeps latency low', async () => {
    const bytes = patternBytes(200 * KiB, 5)
    await writer.put('everywhere', 'hot', bytes)
    proxy.delayMs = 400
    try {
      // the reader sits in the slow node's zone: it would read from it first, so every read starts slow
      const reader = await t.client(nodes[0]!, { zone: 'eu/d/r9/h9' })
      const slowBefore = await servedGets(slow)
      const times: number[] = []
      for (let i = 0; i < 12; i++) {
        const started = performance.now()
        assert.equal(sha256Hex(await reader.get('everywhere', 'hot').bytes()), sha256Hex(bytes))
        times.push(performance.now() - started)
      }
      const stats = reader.readStats()
      // no answer of the slow replica was used (it may finish sending what it was asked before the cancel reaches it)
      assert.equal(stats.peers.get(slow.peerId)?.ok ?? 0, 0)
      const slowAfter = await servedGets(slow)
      assert.ok(slowAfter.ok + slowAfter.failed - slowBefore.ok - slowBefore.failed <= stats.hedges + 1, 'the slow replica was asked only before each hedge')
      assert.ok(stats.hedges >= 1 && stats.hedgeWins >= 1, `hedged ${stats.hedges}, hedges won ${stats.hedgeWins}`)
      // a read through the proxy cannot finish under 2 x 400 ms; each one did, long before
      const sorted = [...times].sort((a, b) => a - b)
      assert.ok(sorted[Math.floor(sorted.length / 2)]! < 800, `median get ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms: ${times.map(x => x.toFixed(0)).join(', ')}`)
    } finally {
      proxy.delayMs = 0
    }
  })

  it('a get while one replica file is corrupted returns correct bytes and reports the corruption', async () => {
    await writer.createBucket('corrupt', { replicas: 3, chunkSize: 256 * KiB })
    const bytes = patternBytes(2 * 256 * KiB, 77)
    const put = await writer.put('corrupt', 'victim', bytes)
    // the first data chunk, from the manifest root (a single leaf here)
    const root = decodeManifestNode(await readStored(nodes, asChunkCid(put.manifest)!))
    assert.equal(root.kind, 'leaf')
    const first = root.kind === 'leaf' ? root.entries[0]! : undefined
    assert.ok(first !== undefined)
    const holders = createPlacement(writer.mesh.getMap()).replicaSet(partitionOfDigest(first.cid.multihash.digest), { replicas: 3, spread: 'host' }).nodes.map(n => n.peerId)
    const victim = nodes.find(n => n.peerId !== slow.peerId && holders.includes(n.peerId))!
    assert.ok((await storedCids(victim)).has(first.cid.toString()))
    await corruptChunkFile(victim, first.cid)
    // a reader in the victim's zone asks the victim first
    const reader = await t.client(nodes[0]!, { zone: victim.record!.zone })
    const corrupt: ReplicaFault[] = []
    reader.addEventListener('replica:corrupt', e => { corrupt.push(e.detail) })
    assert.equal(sha256Hex(await reader.get('corrupt', 'victim').bytes()), sha256Hex(bytes))
    assert.equal(corrupt.length, 1)
    assert.equal(corrupt[0]?.peer, victim.peerId)
    assert.equal(corrupt[0]?.cid, first.cid.toString())
    assert.ok(['ERR_CHUNK_CORRUPT', 'ERR_HASH_MISMATCH'].includes(corrupt[0].code))
    assert.equal(reader.readStats().corrupt, 1)
    // the node found it too and quarantined its copy
    assert.equal(victim.store.counters().corruptChunks, 1)
    assert.equal((await storedCids(victim)).has(first.cid.toString()), false)
  })

  it('a get while a replica node is stopped succeeds; read-your-writes holds with a ref replica down', async () => {
    await writer.createBucket('failover', { replicas: 3, chunkSize: 256 * KiB })
    const key = 'ryw'
    const first = patternBytes(5 * 256 * KiB, 1)
    await writer.put('failover', key, first)
    // stop a node that holds the ref (and chunks): not the writer's seed, not the proxied one
    const refHolders = createPlacement(writer.mesh.getMap()).replicaSet(partitionOfRef('failover', key), { replicas: 3, spread: 'host' }).nodes.map(n => n.peerId)
    const victim = nodes.find(n => n !== nodes[0] && n !== slow && refHolders.includes(n.peerId))
    assert.ok(victim !== undefined, 'a ref replica to stop')
    const reader = await t.client(nodes[0]!, { zone: victim.record!.zone })
    await victim.stop()
    // at once (a stopping node announces it is leaving; maps may or may not have heard yet)
    assert.equal(sha256Hex(await reader.get('failover', key).bytes()), sha256Hex(first))
    // read-your-writes with one ref replica down: overwrite, then read from another client
    const second = patternBytes(3 * 256 * KiB + 1, 2)
    await writer.put('failover', key, second)
    assert.equal(sha256Hex(await reader.get('failover', key).bytes()), sha256Hex(second))
    assert.equal(sha256Hex(await writer.get('failover', key).bytes()), sha256Hex(second))
    await writer.delete('failover', key)
    await assert.rejects(reader.get('failover', key).bytes(), { code: 'ERR_NOT_FOUND' })
    // and once every map shows it down
    await waitFor('the reader sees the node down', () => reader.mesh.getMap().nodes.find(n => n.peerId === victim.peerId)?.state === 'down', 15_000)
    await writer.put('failover', key, first)
    assert.equal(sha256Hex(await reader.get('failover', key).bytes()), sha256Hex(first))

    // a replica that vanishes without a word (its link cut): maps still say it is up, reads fail over.
    // Three nodes are left, so every chunk of this object is on the proxied one too.
    const near = await t.client(nodes[0]!, { zone: slow.record!.zone })
    const third = patternBytes(4 * 256 * KiB, 3)
    await writer.put('failover', 'near', third)
    const errors: ReplicaFault[] = []
    near.addEventListener('replica:error', e => { errors.push(e.detail) })
    await proxy.close()
    assert.equal(near.mesh.getMap().nodes.find(n => n.peerId === slow.peerId)?.state, 'up')
    assert.equal(sha256Hex(await near.get('failover', 'near').bytes()), sha256Hex(third))
    assert.ok(errors.some(e => e.peer === slow.peerId), `the unreachable replica was tried and skipped: ${errors.map(e => `${e.peer.slice(-4)} ${e.code}`).join(', ')}`)
  })
})

/** A chunk's bytes, straight from the store of a node that holds it. */
async function readStored (nodes: WeftNode[], cid: CID): Promise<Uint8Array> {
  for (const n of nodes) {
    if (n.status !== 'started' || (await n.store.has([cid]))[0] !== true) continue
    const parts: Uint8Array[] = []
    for await (const p of n.store.get(cid)) parts.push(p)
    return Buffer.concat(parts)
  }
  throw new Error(`no node holds ${cid.toString()}`)
}
