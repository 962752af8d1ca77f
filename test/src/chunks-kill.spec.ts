import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { InsufficientReplicasError, writeChunk } from '@weft/protocol'
import { CHUNK_TIMINGS, clientPeer, clientPlan, pacedTransport, randomChunk, readAll, replicaSetOf, waitConverged } from './chunks-helpers.js'
import { Harness, addr } from './membership-helpers.js'
import type { Chunk, ClientPeer } from './chunks-helpers.js'
import type { WeftNode } from '@weft/node'
import type { ClusterMap } from '@weft/placement'
import type { WriteChunkResult } from '@weft/protocol'

const MiB = 1024 * 1024

describe('replicated chunk writes when a replica process is killed mid-chunk', function () {
  this.timeout(60_000)
  let h: Harness
  let writer: ClientPeer | undefined

  beforeEach(() => { h = new Harness() })
  afterEach(async () => {
    await writer?.stop()
    writer = undefined
    await h.teardown()
  })

  /** `local` nodes in this process plus one in a child process, converged. */
  async function mesh (local: number): Promise<{ nodes: WeftNode[], child: Awaited<ReturnType<Harness['child']>>, map: ClusterMap }> {
    const seed = await h.node({ timings: CHUNK_TIMINGS, zone: 'test/dc1/r1/h0' })
    const rest = await Promise.all(Array.from({ length: local - 1 }, async (_, i) => h.node({ timings: CHUNK_TIMINGS, seeds: [addr(seed)], zone: `test/dc1/r1/h${i + 1}` })))
    const nodes = [seed, ...rest]
    const child = await h.child([addr(seed)])
    const map = await waitConverged(nodes, 20_000, [child.peerId])
    return { nodes, child, map }
  }

  /** An 8 MiB chunk whose chain passes through `peer` (first or second), so killing it cuts the stream. */
  async function chunkThrough (map: ClusterMap, peer: string): Promise<Chunk> {
    for (;;) {
      const c = await randomChunk(8 * MiB, 8 * MiB)
      const i = replicaSetOf(map, c.cid).indexOf(peer)
      if (i === 0 || i === 1) return c
    }
  }

  /** Write `c` with the writer paced to ~13 MB/s, SIGKILLing the child once 2 MiB are sent. */
  async function writeAndKill (nodes: WeftNode[], child: Awaited<ReturnType<Harness['child']>>, map: ClusterMap, c: Chunk): Promise<{ result?: WriteChunkResult, error?: unknown, killedAt: number }> {
    let killedAt = -1
    writer = await clientPeer(h.meshKey, [...nodes, child.addrs], t => pacedTransport(t, 64 * 1024, 5, total => {
      if (total >= 2 * MiB && killedAt < 0) {
        killedAt = total
        child.proc.kill('SIGKILL')
      }
    }))
    try {
      const result = await writeChunk({ client: writer.client, ...clientPlan(map, c.cid), replicas: 3, cid: c.cid, bytes: c.bytes })
      return { result, killedAt }
    } catch (error) {
      return { error, killedAt }
    }
  }

  it('a write whose chain runs through the killed replica completes with 3 copies on live nodes via hand-off', async () => {
    const { nodes, child, map } = await mesh(3)
    const c = await chunkThrough(map, child.peerId)
    const { result, error, killedAt } = await writeAndKill(nodes, child, map, c)
    assert.ok(killedAt > 0, 'the child was killed while the chunk was being sent')
    assert.equal(error, undefined, `the write should succeed with 3 live nodes: ${String(error)}`)
    assert.ok(result != null)
    console.log(`      holders ${result.holders.length} after ${result.attempts} puts; failures: ${result.failures.map(f => f.code).join(', ')}`)
    assert.equal(new Set(result.holders).size, 3)
    assert.ok(!result.holders.includes(child.peerId), 'the killed node is never counted')
    assert.ok(result.attempts >= 2, 'a hand-off round was needed')
    const failure = result.failures.find(f => f.peer === child.peerId)
    assert.ok(failure != null && failure.code !== 'ERR_INTERNAL', `the child failed with a clear code: ${failure?.code}`)
    // every holder is a live node with a verified copy
    for (const peer of result.holders) {
      const node = nodes.find(n => n.peerId === peer)
      assert.ok(node != null, 'holders are live nodes')
      assert.equal(await node.store.verify(c.cid), true)
      const bytes = await readAll(writer!.client.get(peerIdFromString(peer), c.cid))
      assert.ok(Buffer.from(bytes).equals(c.bytes))
    }
  })

  it('with too few live nodes left it fails with ERR_INSUFFICIENT_REPLICAS, never a short success', async () => {
    const { nodes, child, map } = await mesh(2)
    const c = await chunkThrough(map, child.peerId)
    const { result, error, killedAt } = await writeAndKill(nodes, child, map, c)
    assert.ok(killedAt > 0)
    assert.equal(result, undefined, 'no success with fewer than 3 copies')
    assert.ok(error instanceof InsufficientReplicasError)
    assert.equal(error.code, 'ERR_INSUFFICIENT_REPLICAS')
    console.log(`      ${error.message}`)
    assert.match(error.message, /stored 2 of 3 replicas/)
    assert.deepEqual([...error.holders].sort(), nodes.map(n => n.peerId).sort())
    assert.ok(error.failures.some(f => f.peer === child.peerId))
    for (const n of nodes) assert.equal(await n.store.verify(c.cid), true)
  })
})
