import assert from 'node:assert/strict'
import {
  PARTITION_COUNT, InvalidArgumentError, InvalidMapError, PlacementError, PolicyUnsatisfiableError, createPlacement
} from '../src/index.js'
import { ids, int, prng, randomMap, randomNode, randomPolicy, refAllowed, refDomain, refRanking, refReplicaSet, shuffle } from './helpers.js'
import type { ClusterMap, ClusterNode, InvalidPolicyError, PlacementPolicy } from '../src/index.js'

const MAPS = 120
const PARTITIONS_PER_MAP = 12

function randomPartitions (rnd: () => number, n: number): number[] {
  return Array.from({ length: n }, () => Math.floor(rnd() * PARTITION_COUNT))
}

/** Replica set as peer ids, or the error code. */
function answer (map: ClusterMap, policy: PlacementPolicy, p: number): string[] | string {
  try {
    return ids(createPlacement(map).replicaSet(p, policy).nodes)
  } catch (err) {
    if (err instanceof PlacementError) return err.code
    throw err
  }
}

describe('placement: replica sets', () => {
  it('match the reference rule on many random maps, policies and partitions (incl. degraded and unsatisfiable)', () => {
    const rnd = prng(1)
    let degraded = 0
    let unsatisfiable = 0
    for (let m = 0; m < MAPS; m++) {
      const map = randomMap(rnd, int(rnd, 1, 40))
      const placement = createPlacement(map)
      for (let k = 0; k < 3; k++) {
        const policy = randomPolicy(rnd)
        for (const p of randomPartitions(rnd, PARTITIONS_PER_MAP)) {
          const ref = refReplicaSet(map, policy, p)
          if (ref.nodes.length === 0) {
            unsatisfiable++
            assert.throws(() => placement.replicaSet(p, policy), (err: PolicyUnsatisfiableError) => {
              assert.equal(err.code, 'ERR_POLICY_UNSATISFIABLE')
              assert.ok(err instanceof PlacementError)
              assert.equal(err.details.eligibleNodes, ref.eligible.length)
              assert.equal(err.details.domains, ref.domains)
              assert.equal(err.details.replicas, policy.replicas)
              return true
            })
            assert.throws(() => placement.fallbacks(p, policy), PolicyUnsatisfiableError)
            continue
          }
          const got = placement.replicaSet(p, policy)
          assert.deepEqual(ids(got.nodes), ids(ref.nodes), `map ${m} partition ${p} policy ${JSON.stringify(policy)}`)
          assert.equal(got.degraded, ref.degraded)
          if (got.degraded) degraded++
          // a second lookup comes from the cache and must agree
          assert.deepEqual(ids(placement.replicaSet(p, policy).nodes), ids(ref.nodes))
          const chosen = new Set(ids(ref.nodes))
          assert.deepEqual(ids(placement.fallbacks(p, policy)), ids(ref.eligible.filter(n => !chosen.has(n.peerId))))
        }
      }
    }
    // the generator must actually reach the interesting cases
    assert.ok(degraded > 20, `only ${degraded} degraded cases`)
    assert.ok(unsatisfiable > 20, `only ${unsatisfiable} unsatisfiable cases`)
  })

  it('rank every node by the rendezvous key, whatever its state', () => {
    const rnd = prng(2)
    for (let m = 0; m < 40; m++) {
      const map = randomMap(rnd, int(rnd, 1, 30))
      for (const p of randomPartitions(rnd, 5)) {
        assert.deepEqual(ids(createPlacement(map).ranking(p)), ids(refRanking(map, p)))
      }
    }
  })

  it('never put two replicas in one domain when enough domains exist, and stay inside the allowed zones', () => {
    const rnd = prng(3)
    let checked = 0
    for (let m = 0; m < MAPS; m++) {
      const map = randomMap(rnd, int(rnd, 3, 40))
      const placement = createPlacement(map)
      const policy = randomPolicy(rnd)
      const eligible = map.nodes.filter(n => n.state === 'up' && refAllowed(n.zone, policy.allowedZones))
      const domains = new Set(eligible.map(n => refDomain(n.zone, policy.spread))).size
      if (eligible.length < policy.replicas) continue
      for (const p of randomPartitions(rnd, PARTITIONS_PER_MAP)) {
        const { nodes, degraded } = placement.replicaSet(p, policy)
        checked++
        assert.equal(nodes.length, policy.replicas)
        assert.equal(new Set(ids(nodes)).size, nodes.length, 'replicas are distinct nodes')
        for (const n of nodes) {
          assert.equal(n.state, 'up')
          assert.ok(refAllowed(n.zone, policy.allowedZones), `${n.zone} outside ${String(policy.allowedZones)}`)
        }
        const used = new Set(nodes.map(n => refDomain(n.zone, policy.spread))).size
        assert.equal(degraded, domains < policy.replicas)
        // spread as far as possible: every replica in its own domain, or every domain used
        assert.equal(used, Math.min(domains, policy.replicas))
      }
    }
    assert.ok(checked > 500)
  })

  it('do not depend on the order of map.nodes', () => {
    const rnd = prng(4)
    for (let m = 0; m < 40; m++) {
      const map = randomMap(rnd, int(rnd, 2, 40))
      const shuffled: ClusterMap = { version: map.version + 1, nodes: shuffle(rnd, map.nodes) }
      const policy = randomPolicy(rnd)
      for (const p of randomPartitions(rnd, 8)) {
        assert.deepEqual(answer(shuffled, policy, p), answer(map, policy, p))
        assert.deepEqual(ids(createPlacement(shuffled).ranking(p)), ids(createPlacement(map).ranking(p)))
      }
    }
  })

  it('depend on weights only through their ratios', () => {
    const rnd = prng(5)
    const map = randomMap(rnd, 25)
    const scaled: ClusterMap = { version: 2, nodes: map.nodes.map(n => ({ ...n, weight: n.weight * 4 })) }
    const policy: PlacementPolicy = { replicas: 3, spread: 'host' }
    for (const p of randomPartitions(rnd, 200)) assert.deepEqual(answer(scaled, policy, p), answer(map, policy, p))
  })
})

/** Up nodes on distinct hosts over 3 zones, so spreading never constrains the choice. */
function flatMap (rnd: () => number, n: number, weights: (i: number) => number): ClusterMap {
  const nodes: ClusterNode[] = []
  for (let i = 0; i < n; i++) {
    nodes.push({ peerId: `12D3KooWflat${i}x${Math.floor(rnd() * 1e9)}`, weight: weights(i), zone: `z${i % 3}/dc/r${i}/h${i}`, state: 'up' })
  }
  return { version: 1, nodes }
}

function loads (map: ClusterMap, policy: PlacementPolicy, partitions: number, stride: number): Map<string, number> {
  const out = new Map<string, number>()
  const placement = createPlacement(map)
  for (let k = 0; k < partitions; k++) {
    for (const n of placement.replicaSet(k * stride, policy).nodes) out.set(n.peerId, (out.get(n.peerId) ?? 0) + 1)
  }
  return out
}

describe('placement: load', () => {
  it('is proportional to weight (r = 1: exactly in expectation)', () => {
    const rnd = prng(6)
    const map = flatMap(rnd, 12, () => int(rnd, 1, 4))
    const total = map.nodes.reduce((a, n) => a + n.weight, 0)
    const partitions = 60_000
    const got = loads(map, { replicas: 1, spread: 'host' }, partitions, 67)
    for (const n of map.nodes) {
      const expected = partitions * n.weight / total
      const sigma = Math.sqrt(expected)
      assert.ok(Math.abs((got.get(n.peerId) ?? 0) - expected) < 5 * sigma, `${n.weight}: ${got.get(n.peerId)} vs ${expected}`)
    }
  })

  it('is proportional to weight within a few % for r = 3 (top-r rendezvous slightly favours light nodes)', () => {
    const rnd = prng(7)
    const map = flatMap(rnd, 30, () => int(rnd, 1, 4))
    const total = map.nodes.reduce((a, n) => a + n.weight, 0)
    const partitions = 100_000
    const got = loads(map, { replicas: 3, spread: 'host' }, partitions, 41)
    const byWeight = new Map<number, number[]>()
    for (const n of map.nodes) {
      const ratio = (got.get(n.peerId) ?? 0) / (3 * partitions * n.weight / total)
      assert.ok(ratio > 0.9 && ratio < 1.1, `weight ${n.weight}: load / share = ${ratio}`)
      byWeight.set(n.weight, [...(byWeight.get(n.weight) ?? []), ratio])
    }
    for (const [w, ratios] of byWeight) {
      const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length
      assert.ok(Math.abs(mean - 1) < 0.04, `weight ${w}: mean load / share ${mean}`)
    }
  })
})

/** Partitions whose replica set (as ids) differs, with what came and went. */
function changes (a: ClusterMap, b: ClusterMap, policy: PlacementPolicy, partitions: number[]): Array<{ gained: string[], lost: string[] }> {
  const out = []
  for (const p of partitions) {
    const before = ids(createPlacement(a).replicaSet(p, policy).nodes)
    const after = ids(createPlacement(b).replicaSet(p, policy).nodes)
    const gained = after.filter(x => !before.includes(x))
    const lost = before.filter(x => !after.includes(x))
    if (gained.length > 0 || lost.length > 0) out.push({ gained, lost })
  }
  return out
}

function spreadOk (map: ClusterMap, policy: PlacementPolicy): boolean {
  const eligible = map.nodes.filter(n => n.state === 'up' && refAllowed(n.zone, policy.allowedZones))
  return new Set(eligible.map(n => refDomain(n.zone, policy.spread))).size >= policy.replicas
}

describe('placement: movement', () => {
  const rnd = prng(8)
  const cases: Array<{ map: ClusterMap, policy: PlacementPolicy }> = []
  while (cases.length < 40) {
    const map = randomMap(rnd, int(rnd, 4, 40))
    const policy = { ...randomPolicy(rnd), replicas: int(rnd, 1, 3) }
    if (spreadOk(map, policy)) cases.push({ map, policy })
  }

  it('adding a node moves only what it gains, one replica per partition', () => {
    let moved = 0
    for (const [c, { map, policy }] of cases.entries()) {
      const joiner = { ...randomNode(rnd, `12D3KooWjoin${c}`), state: 'up' as const }
      const after = { version: 2, nodes: [...map.nodes, joiner] }
      if (!spreadOk(after, policy)) continue
      for (const ch of changes(map, after, policy, randomPartitions(rnd, 150))) {
        moved++
        assert.deepEqual(ch.gained, [joiner.peerId])
        assert.equal(ch.lost.length, 1)
      }
    }
    assert.ok(moved > 50, `only ${moved} moves seen`)
  })

  it('removing a node (or taking it down) moves only what it loses', () => {
    let moved = 0
    for (const { map, policy } of cases) {
      const leaver = map.nodes[int(rnd, 0, map.nodes.length - 1)] as ClusterNode
      const gone = { version: 2, nodes: map.nodes.filter(n => n !== leaver) }
      const down = { version: 2, nodes: map.nodes.map(n => n === leaver ? { ...n, state: 'down' as const } : n) }
      if (!spreadOk(gone, policy)) continue
      for (const after of [gone, down]) {
        for (const ch of changes(map, after, policy, randomPartitions(rnd, 100))) {
          moved++
          assert.deepEqual(ch.lost, [leaver.peerId])
          assert.equal(ch.gained.length, 1)
        }
      }
    }
    assert.ok(moved > 50, `only ${moved} moves seen`)
  })

  it('reweighting a node moves only what it gains or loses', () => {
    let moved = 0
    for (const { map, policy } of cases) {
      const target = map.nodes[int(rnd, 0, map.nodes.length - 1)] as ClusterNode
      const factor = rnd() < 0.5 ? 0.3 : 3
      const after = { version: 2, nodes: map.nodes.map(n => n === target ? { ...n, weight: n.weight * factor } : n) }
      for (const ch of changes(map, after, policy, randomPartitions(rnd, 150))) {
        moved++
        assert.equal(ch.gained.length, 1)
        assert.equal(ch.lost.length, 1)
        assert.ok(ch.gained[0] === target.peerId || ch.lost[0] === target.peerId, 'a move that does not involve the reweighted node')
      }
    }
    assert.ok(moved > 20, `only ${moved} moves seen`)
  })
})

describe('placement: input checks', () => {
  const node = (over: Partial<ClusterNode>): ClusterNode => ({ peerId: 'a', weight: 1, zone: 'eu/dc1/r1/h1', state: 'up', ...over })
  const policy: PlacementPolicy = { replicas: 1, spread: 'host' }

  it('rejects bad maps with InvalidMapError', () => {
    const bad: unknown[] = [
      [node({ weight: 0 })], [node({ weight: -1 })], [node({ weight: NaN })], [node({ weight: Infinity })],
      [node({}), node({})], [node({ peerId: '' })], [node({ state: 'gone' as never })], [node({ zone: 3 as never })]
    ]
    for (const nodes of bad) {
      assert.throws(() => createPlacement({ version: 1, nodes: nodes as ClusterNode[] }), (err: InvalidMapError) => err.code === 'ERR_INVALID_MAP', JSON.stringify(nodes))
    }
    assert.throws(() => createPlacement({ version: 1 } as unknown as ClusterMap), InvalidMapError)
  })

  it('rejects bad policies with InvalidPolicyError', () => {
    const placement = createPlacement({ version: 1, nodes: [node({})] })
    const bad: unknown[] = [{ replicas: 0, spread: 'host' }, { replicas: 1.5, spread: 'host' }, { replicas: 1, spread: 'disk' }, { replicas: 1, spread: 'host', allowedZones: 'eu' }]
    for (const p of bad) {
      assert.throws(() => placement.replicaSet(0, p as PlacementPolicy), (err: InvalidPolicyError) => err.code === 'ERR_INVALID_POLICY', JSON.stringify(p))
    }
  })

  it('rejects partitions out of range', () => {
    const placement = createPlacement({ version: 1, nodes: [node({})] })
    for (const p of [-1, PARTITION_COUNT, 1.5, NaN]) {
      assert.throws(() => placement.replicaSet(p, policy), (err: InvalidArgumentError) => err.code === 'ERR_INVALID_ARGUMENT')
      assert.throws(() => placement.ranking(p), InvalidArgumentError)
    }
  })

  it('says which zones and how many nodes when a policy cannot be met', () => {
    const map: ClusterMap = {
      version: 1,
      nodes: [node({ peerId: 'a', zone: 'eu/dc1/r1/h1' }), node({ peerId: 'b', zone: 'eu/dc1/r1/h2', state: 'draining' }), node({ peerId: 'c', zone: 'us/dc1/r1/h1' })]
    }
    assert.throws(() => createPlacement(map).replicaSet(7, { replicas: 2, spread: 'host', allowedZones: ['eu/'] }), (err: PolicyUnsatisfiableError) => {
      assert.equal(err.code, PolicyUnsatisfiableError.code)
      assert.deepEqual(err.details, { replicas: 2, allowedZones: ['eu'], eligibleNodes: 1, nodesInZones: 2, domains: 1 })
      assert.match(err.message, /eu/)
      return true
    })
    // the same map is fine anywhere, though degraded at zone level (2 zones, r = 3 is impossible: 2 up nodes)
    assert.equal(createPlacement(map).replicaSet(7, { replicas: 2, spread: 'zone' }).degraded, false)
    assert.equal(createPlacement(map).replicaSet(7, { replicas: 2, spread: 'zone', allowedZones: ['eu', 'us/dc1'] }).nodes.length, 2)
  })

  it('returns the same placement for the same map object, and shares policy caches across equal policies', () => {
    const map: ClusterMap = { version: 1, nodes: [node({ peerId: 'a' }), node({ peerId: 'b', zone: 'eu/dc2/r1/h1' })] }
    assert.equal(createPlacement(map), createPlacement(map))
    const a = createPlacement(map).replicaSet(9, { replicas: 2, spread: 'zone', allowedZones: ['eu/', 'eu'] })
    const b = createPlacement(map).replicaSet(9, { replicas: 2, spread: 'zone', allowedZones: ['eu'] })
    assert.deepEqual(ids(a.nodes), ids(b.nodes))
  })

  it('keeps answering correctly when more policies are used than it caches', () => {
    const rnd = prng(9)
    const map = randomMap(rnd, 30)
    const small = createPlacement(map, { maxCachedPolicies: 2 })
    for (let k = 0; k < 60; k++) {
      const policy = randomPolicy(rnd)
      const p = Math.floor(rnd() * PARTITION_COUNT)
      const ref = refReplicaSet(map, policy, p)
      if (ref.nodes.length === 0) continue
      assert.deepEqual(ids(small.replicaSet(p, policy).nodes), ids(ref.nodes))
    }
  })
})
