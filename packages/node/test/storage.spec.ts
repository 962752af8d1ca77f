import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { createNode, generateMeshKey } from '../src/index.js'
import { createNodeMetrics } from '../src/admin/metrics.js'
import { StorageReporter } from '../src/storage.js'
import { openChunkStore } from '../src/store/index.js'
import { chunk, collect, KiB, MiB } from './store/fixtures.js'
import type { WeftNode } from '../src/index.js'
import type { RecordPatch } from '../src/membership/types.js'
import type { ChunkStore } from '../src/store/index.js'

describe('storage: the store feeds the record and the metrics', () => {
  let dir: string
  let store: ChunkStore | undefined
  beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'weft-storage-')) })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('pushes full into the record the moment the store fills, and gauges follow every chunk', async () => {
    // 6 MiB limit, full under 4 MiB free: the third 1 MiB chunk flips it
    store = await openChunkStore({ dir, capacityBytes: 6 * MiB, reserveBytes: 0 })
    const metrics = createNodeMetrics({ processMetrics: false })
    const patches: RecordPatch[] = []
    // read through a function: assertions below narrow `patches` itself
    const patch = (i: number): RecordPatch | undefined => patches[i]
    const reporter = new StorageReporter({ store, metrics, chunks: { stats: () => ({ sessions: 0, peers: 0, activeRequests: 0 }) }, updateRecord: p => patches.push(p) })
    const first = reporter.initialFields()
    assert.deepEqual(first, { capacityBytes: 6 * MiB, usedBytes: 0, full: false })
    await reporter.start()

    for (let i = 0; i < 2; i++) await store.put(...spread(await chunk(MiB)))
    assert.equal(patches.length, 0, 'used bytes wait for the periodic poll')
    assert.equal((await metrics.usedBytes.get()).values[0]?.value, 2 * MiB)
    assert.equal((await metrics.chunks.get()).values[0]?.value, 2)

    await store.put(...spread(await chunk(MiB)))
    assert.deepEqual(patches, [{ usedBytes: 3 * MiB, full: true }], 'full is pushed synchronously with the store event')

    // the poll carries used bytes and load; capacity only when it moved
    const u = reporter.poll()
    assert.deepEqual(u, { usedBytes: 3 * MiB, full: true })
    assert.equal(patch(1)?.usedBytes, 3 * MiB)
    assert.equal(patch(1)?.capacityBytes, undefined)
    assert.deepEqual(patch(1)?.load, { inFlight: 0, mbps: 0 })

    reporter.observe({ op: 'put', status: 'OK', seconds: 0.01, bytesIn: 5 * KiB, bytesOut: 0 })
    reporter.observe({ op: 'get', status: 'ERR_CHUNK_NOT_FOUND', seconds: 0.001, bytesIn: 0, bytesOut: 0 })
    const requests = (await metrics.requests.get()).values
    assert.deepEqual(requests.map(v => [v.labels.op, v.labels.status, v.value]), [['put', 'OK', 1], ['get', 'ERR_CHUNK_NOT_FOUND', 1]])
    assert.equal((await metrics.bytesIn.get()).values[0]?.value, 5 * KiB)

    await reporter.stop()
    await store.put(...spread(await chunk(MiB)))
    assert.equal(patches.length, 2, 'stopped: no more listening')
  })
})

describe('createNode: store, chunk service and metrics wired in', function () {
  this.timeout(20_000)
  let dir: string
  let node: WeftNode | undefined
  beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'weft-node-wired-')) })
  afterEach(async () => {
    await node?.stop()
    node = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('writes to itself through its own client (in memory), counts it, and announces its store', async () => {
    node = await createNode({ dataDir: dir, meshKey: generateMeshKey(), capacityBytes: 64 * MiB, metrics: { processMetrics: false }, timings: { heartbeatMs: 100, suspectAfterMs: 500, downAfterMs: 1000, outAfterMs: 2000 } })
    await node.start()
    assert.equal(node.chunks.status, 'started')
    assert.equal(node.record?.capacityBytes, 64 * MiB)
    assert.equal(node.record?.weight, 64 * MiB)

    const c = await chunk(300 * KiB)
    const self = peerIdFromString(node.peerId)
    const put = await node.chunks.client.put(self, c.cid, c.bytes)
    assert.deepEqual(put.stored.map(s => s.peer.toString()), [node.peerId])
    assert.ok(Buffer.from(await collect(node.chunks.client.get(self, c.cid))).equals(c.bytes))
    assert.deepEqual(await node.store.has([c.cid]), [true])

    // a write plan on a map of one: r = 1 goes to itself
    const result = await node.writeChunk(c.cid, c.bytes, { replicas: 1, spread: 'host' })
    assert.deepEqual(result.holders, [node.peerId])
    assert.deepEqual(result.existed, [node.peerId])

    const metrics = await node.metrics.registry.getMetricsAsJSON()
    const ok = metrics.find(m => m.name === 'weft_requests_total')?.values.filter(v => v.labels.status === 'OK').map(v => [v.labels.op, v.value])
    assert.deepEqual(ok?.sort(), [['get', 1], ['put', 2]])
    assert.equal(metrics.find(m => m.name === 'weft_used_bytes')?.values[0]?.value, 300 * KiB)
    assert.equal(metrics.find(m => m.name === 'weft_members')?.values.find(v => v.labels.state === 'up')?.value, 1)
  })

  it('stop closes the store (a new node opens the same data dir), and a never-started node closes it too', async () => {
    const meshKey = generateMeshKey()
    node = await createNode({ dataDir: dir, meshKey, metrics: { processMetrics: false } })
    await node.start()
    const c = await chunk(10 * KiB)
    await node.store.put(c.cid, c.bytes)
    await node.stop()
    await node.stop()
    assert.equal(node.chunks.status, 'stopped')
    await assert.rejects(node.store.has([c.cid]), { code: 'ERR_STORE_CLOSED' })

    const idle = await createNode({ dataDir: dir, meshKey, metrics: { processMetrics: false } })
    assert.deepEqual(await idle.store.has([c.cid]), [true])
    await idle.stop()
    await assert.rejects(idle.start(), { code: 'ERR_NODE_NOT_STARTED' })

    node = await createNode({ dataDir: dir, meshKey, metrics: { processMetrics: false } })
    await node.start()
    assert.deepEqual(await node.store.has([c.cid]), [true])
    assert.equal(node.record?.usedBytes, 10 * KiB)
  })
})

function spread (c: { cid: Parameters<ChunkStore['put']>[0], bytes: Uint8Array }): [Parameters<ChunkStore['put']>[0], Uint8Array] {
  return [c.cid, c.bytes]
}
