import assert from 'node:assert/strict'
import { chunkEntry, planBlockRead } from '@weft/protocol'
import { hedgedRead } from '../../src/reads/hedged.js'
import { ReplicaStats } from '../../src/reads/stats.js'
import { MemoryChunks, concat, peers, randomBytes, sleep } from './memory-chunks.js'
import type { ReplicaFault } from '../../src/reads/hedged.js'

describe('reads/hedged: one chunk from the best replica', () => {
  const bytes = randomBytes(300_000, 5)
  let mem: MemoryChunks
  let replicas: Awaited<ReturnType<typeof peers>>
  let faults: ReplicaFault[]
  let stats: ReplicaStats

  beforeEach(async () => {
    mem = new MemoryChunks()
    replicas = await peers(3)
    for (const r of replicas) mem.store(r.id, bytes)
    faults = []
    stats = new ReplicaStats({ initialHedgeMs: 50, hedgeFloorMs: 5 })
  })

  const components = (): Parameters<typeof hedgedRead>[0] => ({ chunks: mem, stats, onFault: f => faults.push(f) })
  const cid = (): ReturnType<MemoryChunks['store']> => mem.store(replicas[0]!.id, bytes)

  it('reads from the first replica when it is healthy, without hedging', async () => {
    const r = await hedgedRead(components(), {}, replicas, { cid: cid(), size: bytes.length })
    assert.deepEqual(concat(r.parts), Buffer.from(bytes))
    assert.equal(r.peer, replicas[0]!.id)
    assert.equal(r.hedges, 0)
    assert.equal(mem.started.get(replicas[1]!.id), undefined)
    assert.equal(stats.get(replicas[0]!.id)?.ok, 1)
  })

  it('hedges a slow first replica, takes the other answer and cancels the loser', async () => {
    mem.behaviour.set(replicas[0]!.id, { delayMs: 2_000 })
    const started = performance.now()
    const r = await hedgedRead(components(), {}, replicas, { cid: cid(), size: bytes.length })
    assert.ok(performance.now() - started < 1_500, 'answered without waiting for the slow replica')
    assert.equal(r.peer, replicas[1]!.id)
    assert.equal(r.hedges, 1)
    assert.equal(r.hedgeWin, true)
    assert.deepEqual(concat(r.parts), Buffer.from(bytes))
    await sleep(20)
    assert.equal(mem.totalActive(), 0, 'the slow request was cancelled')
    assert.equal(mem.aborted, 1)
    assert.equal(faults.length, 0, 'a hedge loser is not a fault')
    // the loser's wait counts against it: later reads order it last
    const slow = stats.get(replicas[0]!.id)?.latencyMs ?? 0
    const fast = stats.get(replicas[1]!.id)?.latencyMs ?? Infinity
    assert.ok(slow > fast, `slow ${slow} > fast ${fast}`)
  })

  it('cancels a hedge that has sent nothing once the first replica starts answering, without holding it against that replica', async () => {
    // the first byte comes after the hedge delay (a request queued behind read-ahead), then the chunk streams
    mem.behaviour.set(replicas[0]!.id, { delayMs: 120, pieceDelayMs: 10 })
    mem.behaviour.set(replicas[1]!.id, { delayMs: 1_000 })
    const r = await hedgedRead(components(), {}, replicas, { cid: cid(), size: bytes.length })
    assert.equal(r.peer, replicas[0]!.id)
    assert.equal(r.hedges, 1, 'the hedge went out')
    assert.deepEqual(concat(r.parts), Buffer.from(bytes))
    assert.equal(mem.started.get(replicas[1]!.id), 1)
    assert.equal(mem.aborted, 1, 'the hedge was cancelled')
    await sleep(20)
    assert.equal(mem.totalActive(), 0)
    assert.equal(faults.length, 0)
    const hedged = stats.get(replicas[1]!.id)
    assert.equal(hedged?.failed ?? 0, 0, 'a cancelled hedge is no failure')
    assert.equal(hedged?.racesLost ?? 0, 0, 'nor a lost race')
  })

  it('asks a cancelled hedge\'s replica again when the replica that was answering fails', async () => {
    mem.behaviour.set(replicas[0]!.id, { delayMs: 120, pieceDelayMs: 10, failAfterPieces: 2 })
    mem.behaviour.set(replicas[1]!.id, { delayMs: 200 })
    const r = await hedgedRead(components(), {}, replicas.slice(0, 2), { cid: cid(), size: bytes.length })
    assert.equal(r.peer, replicas[1]!.id)
    assert.deepEqual(concat(r.parts), Buffer.from(bytes))
    assert.equal(mem.started.get(replicas[1]!.id), 2, 'hedged, cancelled, then asked again')
    assert.deepEqual(faults.map(f => [f.peer, f.code]), [[replicas[0]!.id, 'ERR_SESSION_CLOSED']])
  })

  it('fails over from a corrupt replica, reports it, and returns correct bytes', async () => {
    mem.behaviour.set(replicas[0]!.id, { corrupt: true })
    const r = await hedgedRead(components(), { maxAttempts: 1 }, replicas, { cid: cid(), size: bytes.length })
    assert.deepEqual(concat(r.parts), Buffer.from(bytes))
    assert.equal(r.peer, replicas[1]!.id)
    assert.equal(faults.length, 1)
    assert.equal(faults[0]?.kind, 'corrupt')
    assert.equal(faults[0]?.peer, replicas[0]!.id)
    assert.equal(faults[0]?.code, 'ERR_HASH_MISMATCH')
  })

  it('verifies range reads by block and fails over on a bad block', async () => {
    const entry = chunkEntry(bytes, 16 * 1024)
    const plan = planBlockRead(entry, 16 * 1024, 40_000, 100_000)
    mem.behaviour.set(replicas[0]!.id, { corrupt: true })
    const r = await hedgedRead(components(), {}, replicas, { cid: entry.cid, size: bytes.length, plan })
    assert.deepEqual(concat(r.parts), Buffer.from(bytes.subarray(40_000, 100_000)))
    assert.equal(faults[0]?.kind, 'corrupt')
  })

  it('tries every replica, then fails with what each one said', async () => {
    mem.behaviour.set(replicas[0]!.id, { failCode: 'ERR_SESSION_CLOSED' })
    mem.behaviour.set(replicas[1]!.id, { corrupt: true })
    mem.data.get(replicas[2]!.id)?.clear()
    await assert.rejects(hedgedRead(components(), {}, replicas, { cid: cid(), size: bytes.length }), (err: Error & { code: string, failures: ReplicaFault[] }) => {
      assert.equal(err.code, 'ERR_CHUNK_UNAVAILABLE')
      assert.deepEqual(err.failures.map(f => f.code).sort(), ['ERR_CHUNK_NOT_FOUND', 'ERR_HASH_MISMATCH', 'ERR_SESSION_CLOSED'])
      return true
    })
    assert.equal(faults.length, 3)
    // a missing chunk is no fault of the peer's connection: only the others are penalised
    assert.equal(stats.get(replicas[2]!.id)?.failed, 0)
    assert.equal(stats.get(replicas[0]!.id)?.failed, 1)
  })

  it('times out a replica that never finishes and fails over', async () => {
    mem.behaviour.set(replicas[0]!.id, { delayMs: 5_000 })
    const r = await hedgedRead(components(), { maxAttempts: 1, attemptTimeoutMs: 100 }, replicas, { cid: cid(), size: bytes.length })
    assert.equal(r.peer, replicas[1]!.id)
    assert.equal(faults[0]?.kind, 'timeout')
    await sleep(20)
    assert.equal(mem.totalActive(), 0)
  })

  it('an abort rejects at once with its reason and cancels every attempt', async () => {
    for (const r of replicas) mem.behaviour.set(r.id, { delayMs: 5_000 })
    const ac = new AbortController()
    const reading = hedgedRead(components(), {}, replicas, { cid: cid(), size: bytes.length }, ac.signal)
    await sleep(120)
    assert.equal(mem.totalActive(), 2, 'the first request and one hedge')
    const reason = new Error('caller gave up')
    const at = performance.now()
    ac.abort(reason)
    await assert.rejects(reading, (err) => err === reason)
    assert.ok(performance.now() - at < 100)
    await sleep(20)
    assert.equal(mem.totalActive(), 0)
    assert.equal(faults.length, 0)
  })

  it('with no candidates fails with ERR_CHUNK_UNAVAILABLE', async () => {
    await assert.rejects(hedgedRead(components(), {}, [], { cid: cid(), size: bytes.length }), { code: 'ERR_CHUNK_UNAVAILABLE' })
  })
})
