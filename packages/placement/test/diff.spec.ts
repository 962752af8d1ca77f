import assert from 'node:assert/strict'
import { PARTITION_COUNT, PolicyUnsatisfiableError, createPlacement, diffMaps } from '../src/index.js'
import { ids, int, pick, prng, randomMap, randomNode, randomPolicy } from './helpers.js'
import type { ClusterMap, ClusterNode, MapDiff, PlacementPolicy } from '../src/index.js'

/** A random edit of a map: the kinds of change a membership layer produces. */
function edit (rnd: () => number, map: ClusterMap, round: number): ClusterMap {
  const nodes = [...map.nodes]
  const edits = int(rnd, 1, 3)
  for (let e = 0; e < edits; e++) {
    const i = int(rnd, 0, nodes.length - 1)
    const n = nodes[i] as ClusterNode
    switch (pick(rnd, ['add', 'remove', 'reweight', 'state', 'zone'] as const)) {
      case 'add': nodes.push(randomNode(rnd, `12D3KooWadd${round}x${e}`)); break
      case 'remove': if (nodes.length > 1) nodes.splice(i, 1); break
      case 'reweight': nodes[i] = { ...n, weight: n.weight * (0.2 + rnd() * 3) }; break
      case 'state': nodes[i] = { ...n, state: n.state === 'up' ? pick(rnd, ['draining', 'down', 'out'] as const) : 'up' }; break
      case 'zone': nodes[i] = { ...n, zone: randomNode(rnd, 'x').zone }; break
    }
  }
  return { version: map.version + 1, nodes }
}

function setOrEmpty (map: ClusterMap, policy: PlacementPolicy, p: number): string[] {
  try {
    return ids(createPlacement(map).replicaSet(p, policy).nodes)
  } catch (err) {
    if (err instanceof PolicyUnsatisfiableError) return []
    throw err
  }
}

/** Checks a diff against recomputing both maps partition by partition. */
function checkAgainstRecompute (diff: MapDiff, before: ClusterMap, after: ClusterMap, policy: PlacementPolicy, partitions: number[], size: (p: number) => number): void {
  const byPartition = new Map(diff.changed.map(c => [c.partition, c]))
  const perPeer = new Map<string, { gained: number, lost: number, bytesIn: number, bytesOut: number }>()
  let bytes = 0
  for (const p of partitions) {
    const b = setOrEmpty(before, policy, p)
    const a = setOrEmpty(after, policy, p)
    const gained = a.filter(x => !b.includes(x))
    const lost = b.filter(x => !a.includes(x))
    const change = byPartition.get(p)
    if (gained.length === 0 && lost.length === 0) {
      assert.equal(change, undefined, `partition ${p} reported changed but is not`)
      continue
    }
    assert.ok(change != null, `partition ${p} changed but is not reported`)
    assert.deepEqual(change.before, b)
    assert.deepEqual(change.after, a)
    assert.deepEqual(change.gained, gained)
    assert.deepEqual(change.lost, lost)
    assert.equal(change.bytes, size(p) * gained.length)
    bytes += change.bytes
    for (const id of gained) {
      const m = perPeer.get(id) ?? { gained: 0, lost: 0, bytesIn: 0, bytesOut: 0 }
      m.gained++
      m.bytesIn += size(p)
      perPeer.set(id, m)
    }
    for (const id of lost) {
      const m = perPeer.get(id) ?? { gained: 0, lost: 0, bytesIn: 0, bytesOut: 0 }
      m.lost++
      m.bytesOut += size(p)
      perPeer.set(id, m)
    }
  }
  assert.equal(diff.bytesToCopy, bytes)
  assert.deepEqual(new Map([...diff.peers].map(([k, v]) => [k, { ...v }])), perPeer)
}

describe('diffMaps', () => {
  const size = (p: number): number => (p % 7) * 1000 + 1

  it('agrees with recomputing both maps, over many random edits', () => {
    const rnd = prng(11)
    let changedSeen = 0
    for (let round = 0; round < 80; round++) {
      const before = randomMap(rnd, int(rnd, 2, 30))
      const after = edit(rnd, before, round)
      const policy = randomPolicy(rnd)
      const partitions = Array.from({ length: 120 }, () => Math.floor(rnd() * PARTITION_COUNT))
      let diff: MapDiff
      try {
        diff = diffMaps(before, after, policy, { partitions: [...partitions, ...partitions.slice(0, 10)], partitionBytes: size })
      } catch (err) {
        // only an after map that cannot hold the policy may throw
        assert.ok(err instanceof PolicyUnsatisfiableError)
        assert.throws(() => createPlacement(after).replicaSet(0, policy), PolicyUnsatisfiableError)
        continue
      }
      assert.equal(diff.partitionsCompared, new Set(partitions).size)
      checkAgainstRecompute(diff, before, after, policy, [...new Set(partitions)], size)
      changedSeen += diff.changed.length
    }
    assert.ok(changedSeen > 200, `only ${changedSeen} changed partitions seen`)
  })

  it('covers every partition when not narrowed, and a join moves about the joiner\'s share', function () {
    this.timeout(120_000)
    const rnd = prng(12)
    const nodes: ClusterNode[] = []
    for (let i = 0; i < 10; i++) nodes.push({ peerId: `12D3KooWfull${i}`, weight: 1 + (i % 3), zone: `z${i % 3}/dc/r${i}/h${i}`, state: 'up' })
    const before: ClusterMap = { version: 1, nodes }
    const joiner: ClusterNode = { peerId: '12D3KooWjoiner', weight: 1, zone: 'z1/dc/r9/h9', state: 'up' }
    const after: ClusterMap = { version: 2, nodes: [...nodes, joiner] }
    const policy: PlacementPolicy = { replicas: 2, spread: 'host' }
    const diff = diffMaps(before, after, policy)
    assert.equal(diff.partitionsCompared, PARTITION_COUNT)
    // everything moved goes to the joiner, from someone else, one copy per partition
    assert.deepEqual([...diff.peers.keys()].filter(id => (diff.peers.get(id)?.gained ?? 0) > 0), [joiner.peerId])
    const gained = diff.peers.get(joiner.peerId)?.gained ?? 0
    assert.equal(gained, diff.changedCount)
    assert.equal(diff.changed.length, diff.changedCount)
    const lost = [...diff.peers.values()].reduce((a, m) => a + m.lost, 0)
    assert.equal(lost, gained)
    // top-2 of 11 by weight: the joiner's share is near 2 x 1/20 of the partitions (light-node bias of a few %)
    const share = gained / PARTITION_COUNT
    assert.ok(share > 0.095 && share < 0.11, `joiner holds ${share} of the partitions`)
    // spot check against recomputation
    const sample = Array.from({ length: 300 }, () => Math.floor(rnd() * PARTITION_COUNT))
    const narrowed = diffMaps(before, after, policy, { partitions: sample })
    const full = new Map(diff.changed.map(c => [c.partition, c]))
    for (const c of narrowed.changed) assert.deepEqual(JSON.parse(JSON.stringify(full.get(c.partition))), JSON.parse(JSON.stringify(c)))
    assert.equal(narrowed.changed.length, sample.filter(p => full.has(p)).length)
  })

  it('treats a before map that cannot hold the policy as holding nothing, and throws for such an after map', () => {
    const two: ClusterMap = { version: 1, nodes: [{ peerId: 'a', weight: 1, zone: 'z1/d/r/h1', state: 'up' }, { peerId: 'b', weight: 1, zone: 'z2/d/r/h1', state: 'up' }] }
    const three: ClusterMap = { version: 2, nodes: [...two.nodes, { peerId: 'c', weight: 1, zone: 'z3/d/r/h1', state: 'up' }] }
    const policy: PlacementPolicy = { replicas: 3, spread: 'zone' }
    const grow = diffMaps(two, three, policy, { partitions: [1, 2, 3], partitionBytes: () => 10 })
    assert.equal(grow.changed.length, 3)
    assert.equal(grow.bytesToCopy, 90)
    assert.deepEqual(grow.changed[0]?.before, [])
    assert.throws(() => diffMaps(three, two, policy, { partitions: [1] }), PolicyUnsatisfiableError)
  })
})
