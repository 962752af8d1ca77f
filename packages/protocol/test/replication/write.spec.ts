import assert from 'node:assert/strict'
import { InsufficientReplicasError, planChunkWrite, writeChunk } from '../../src/replication/index.js'
import { bytesOf, cidOf } from '../chunk/fixtures.js'
import { Mesh } from './mesh.js'
import type { WriteAttempt } from '../../src/replication/index.js'
import type { CID } from 'multiformats/cid'

describe('writeChunk: chain put with hand-off', function () {
  this.timeout(20_000)
  let mesh: Mesh
  let cid: CID
  const bytes = bytesOf(300_000, 7)

  beforeEach(async () => {
    mesh = await Mesh.create(6)
    cid = await cidOf(bytes)
  })
  afterEach(async () => { await mesh.close() })

  async function write (targets: string[], fallbacks: string[], extra: { replicas?: number, probe?: boolean, probeMinBytes?: number, signal?: AbortSignal } = {}): Promise<{ result: Awaited<ReturnType<typeof writeChunk>>, attempts: WriteAttempt[] }> {
    const attempts: WriteAttempt[] = []
    const result = await writeChunk({ client: mesh.clientOf(), targets, fallbacks, replicas: extra.replicas ?? 3, cid, bytes, probe: extra.probe, probeMinBytes: extra.probeMinBytes, signal: extra.signal, onAttempt: a => attempts.push(a) })
    return { result, attempts }
  }

  it('sends the chunk once down the chain: the targets hold it, nothing handed off', async () => {
    const [a, b, c, d] = mesh.ids as [string, string, string, string]
    const { result, attempts } = await write([a, b, c], [d])
    assert.deepEqual(result.holders, [a, b, c])
    assert.deepEqual(result.handedOff, [])
    assert.equal(result.attempts, 1)
    assert.deepEqual(attempts.map(x => x.chain), [[a, b, c]])
    assert.deepEqual(mesh.holders(cid).sort(), [a, b, c].sort())
    assert.equal(mesh.replica(a).puts, 1)
  })

  it('hands off around an unreachable head; the replicas behind it stay candidates', async () => {
    const [a, b, c, d, e] = mesh.ids as [string, string, string, string, string]
    mesh.down.add(a)
    const { result, attempts } = await write([a, b, c], [d, e])
    assert.deepEqual(attempts.map(x => x.chain), [[a, b, c], [b, c, d]])
    assert.deepEqual(result.holders, [b, c, d])
    assert.deepEqual(result.handedOff, [d])
    assert.deepEqual(result.failures.map(f => [f.peer, f.code]), [[a, 'ERR_PEER_UNREACHABLE']])
    assert.deepEqual(mesh.holders(cid).sort(), [b, c, d].sort())
  })

  it('treats ERR_STORE_FULL as a failed target and sends only the missing copy to the next fallback', async () => {
    const [a, b, c, d, e] = mesh.ids as [string, string, string, string, string]
    mesh.replica(b).full = true
    const { result, attempts } = await write([a, b, c], [d, e])
    assert.deepEqual(attempts.map(x => x.chain), [[a, b, c], [d]])
    assert.deepEqual(result.holders, [a, c, d])
    assert.deepEqual(result.failures.map(f => [f.peer, f.code]), [[b, 'ERR_STORE_FULL']])
    assert.equal(mesh.replica(e).puts, 0)
  })

  it('keeps handing off while fallbacks fail, then succeeds', async () => {
    const [a, b, c, d, e, f] = mesh.ids as [string, string, string, string, string, string]
    mesh.replica(c).full = true
    mesh.down.add(d)
    mesh.replica(e).full = true
    const { result, attempts } = await write([a, b, c], [d, e, f])
    assert.deepEqual(attempts.map(x => x.chain), [[a, b, c], [d], [e], [f]])
    assert.deepEqual(result.holders, [a, b, f])
    assert.deepEqual(result.failures.map(x => x.code).sort(), ['ERR_PEER_UNREACHABLE', 'ERR_STORE_FULL', 'ERR_STORE_FULL'])
  })

  it('throws ERR_INSUFFICIENT_REPLICAS with holders and failures when candidates run out', async () => {
    const [a, b, c, d] = mesh.ids as [string, string, string, string]
    mesh.replica(b).full = true
    mesh.down.add(d)
    await assert.rejects(write([a, b, c], [d]), (err: unknown) => {
      assert.ok(err instanceof InsufficientReplicasError)
      assert.equal(err.code, 'ERR_INSUFFICIENT_REPLICAS')
      assert.deepEqual(err.holders, [a, c])
      assert.deepEqual(err.failures.map(f => [f.peer, f.code]).sort(), [[b, 'ERR_STORE_FULL'], [d, 'ERR_PEER_UNREACHABLE']].sort())
      assert.match(err.message, /stored 2 of 3 replicas/)
      assert.match(err.message, /ERR_STORE_FULL/)
      return true
    })
  })

  it('refuses up front, sending nothing, when there are fewer candidates than replicas', async () => {
    const [a, b] = mesh.ids as [string, string]
    await assert.rejects(write([a, b], []), (err: unknown) => err instanceof InsufficientReplicasError && /only 2 candidates for 3 replicas/.test(err.message))
    assert.equal(mesh.replica(a).puts, 0)
  })

  it('ignores a replica claiming copies on peers outside the chain', async () => {
    const [a, b, c, d, e] = mesh.ids as [string, string, string, string, string]
    mesh.replica(a).alsoClaims = [mesh.replica(e).peer]
    mesh.down.add(c)
    const { result } = await write([a, b, c], [d, e])
    // e was never in a chain when a claimed it; it counts only once it really stored
    assert.deepEqual(result.holders, [a, b, d])
    assert.deepEqual(mesh.holders(cid).sort(), [a, b, d].sort())
  })

  it('a re-write finds every copy existing; with probe it sends no put at all', async () => {
    const [a, b, c, d] = mesh.ids as [string, string, string, string]
    await write([a, b, c], [d])
    const again = await write([a, b, c], [d])
    assert.deepEqual(again.result.existed, [a, b, c])
    const probed = await write([a, b, c], [d], { probe: true })
    assert.equal(probed.result.attempts, 0)
    assert.deepEqual(probed.result.holders, [a, b, c])
    assert.equal(mesh.replica(a).puts, 2)
  })

  it('probes by default only chunks of at least probeMinBytes', async () => {
    const [a, b, c] = mesh.ids as [string, string, string]
    await write([a, b, c], [])
    // 300,000 bytes: under the 1 MiB default, a re-write sends a put
    assert.equal((await write([a, b, c], [])).result.attempts, 1)
    assert.equal((await write([a, b, c], [], { probeMinBytes: 100_000 })).result.attempts, 0)
  })

  it('with probe, tops up only the targets that lack the chunk', async () => {
    const [a, b, c, d] = mesh.ids as [string, string, string, string]
    await write([b], [], { replicas: 1 })
    const { result, attempts } = await write([a, b, c], [d], { probe: true })
    assert.deepEqual(attempts.map(x => x.chain), [[a, c]])
    assert.deepEqual(result.existed, [b])
    assert.deepEqual(result.holders.sort(), [a, b, c].sort())
  })

  it('rejects with the abort reason when the signal fires', async () => {
    const [a, b, c] = mesh.ids as [string, string, string]
    const controller = new AbortController()
    controller.abort(new Error('stop now'))
    await assert.rejects(write([a, b, c], [], { signal: controller.signal }), /stop now/)
  })
})

describe('planChunkWrite', () => {
  it('drops excluded peers, tops the targets up from the fallbacks, and tries deprioritized ones last', () => {
    const plan = planChunkWrite({
      replicaSet: ['a', 'b', 'c'],
      fallbacks: ['d', 'e', 'f'],
      replicas: 3,
      exclude: p => p === 'b' || p === 'e',
      deprioritize: p => p === 'c'
    })
    assert.deepEqual(plan.targets, ['a', 'd', 'f'])
    assert.deepEqual(plan.fallbacks, ['c'])
    assert.deepEqual(plan.displaced, ['b', 'c'])
  })

  it('is the replica set itself when nothing is excluded', () => {
    assert.deepEqual(planChunkWrite({ replicaSet: ['a', 'b'], fallbacks: ['c'], replicas: 2 }), { targets: ['a', 'b'], fallbacks: ['c'], displaced: [] })
  })

  it('rejects a replica count that is not a positive integer', () => {
    assert.throws(() => planChunkWrite({ replicaSet: [], fallbacks: [], replicas: 0 }), TypeError)
  })
})
