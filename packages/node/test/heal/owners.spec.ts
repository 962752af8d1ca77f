import assert from 'node:assert/strict'
import { createPlacement } from '@weft/placement'
import { ownersOf, replicasWanted } from '../../src/heal/owners.js'
import { mapSignature, targetMap } from '../../src/heal/target-map.js'
import type { Liveness, Member } from '../../src/membership/types.js'
import type { NodeRecord } from '@weft/protocol'

function member (peerId: string, liveness: Liveness, zone: string, state: NodeRecord['state'] = 'up'): Member {
  const record = { peerId, zone, weight: 100, state } as unknown as NodeRecord
  return { peerId, record, liveness, lastSeen: 0, since: 0, self: false }
}

describe('heal: target map and owners', () => {
  const members = [
    member('A', 'up', 'z1'),
    member('B', 'suspect', 'z2'),
    member('C', 'down', 'z3'),
    member('D', 'left', 'z4'),
    member('E', 'out', 'z5'),
    member('F', 'up', 'z6', 'draining')
  ]

  it('keeps silent, down and left members as owners until they are out; drains are not eligible', () => {
    const map = targetMap(members, 1)
    assert.deepEqual(map.nodes.map(n => [n.peerId, n.state]), [['A', 'up'], ['B', 'up'], ['C', 'up'], ['D', 'up'], ['E', 'out'], ['F', 'draining']])
    assert.equal(mapSignature(map), mapSignature(targetMap([...members].reverse(), 9)), 'order and version do not matter')
    assert.notEqual(mapSignature(map), mapSignature(targetMap([...members.slice(0, 5), member('F', 'up', 'z6')], 1)))
  })

  it('gives the union of the replica sets of every policy, in ranking order, the same on every peer', () => {
    const placement = createPlacement(targetMap(members, 1))
    for (let p = 0; p < 200; p++) {
      const one = ownersOf(placement, p, [{ replicas: 3, spread: 'zone' }])
      assert.equal(one.length, 3)
      assert.ok(one.every(id => ['A', 'B', 'C', 'D'].includes(id)), 'never an out or draining member')
      const both = ownersOf(placement, p, [{ replicas: 1, spread: 'zone', allowedZones: ['z4'] }, { replicas: 2, spread: 'zone' }])
      const again = ownersOf(placement, p, [{ replicas: 2, spread: 'zone' }, { replicas: 1, spread: 'zone', allowedZones: ['z4'] }])
      assert.deepEqual(both, again, 'policy order does not change the owners or their order')
      assert.ok(both.includes('D'))
      const rank = placement.ranking(p).map(n => n.peerId)
      assert.deepEqual(both, [...both].sort((a, b) => rank.indexOf(a) - rank.indexOf(b)))
    }
  })

  it('falls back to every eligible node when fewer exist than r, and to none when none is eligible', () => {
    const placement = createPlacement(targetMap(members, 1))
    assert.deepEqual(new Set(ownersOf(placement, 7, [{ replicas: 5, spread: 'zone' }])), new Set(['A', 'B', 'C', 'D']))
    assert.deepEqual(ownersOf(placement, 7, [{ replicas: 2, spread: 'zone', allowedZones: ['z5'] }]), [])
    assert.deepEqual(ownersOf(placement, 7, []), [], 'a chunk without a policy has no owners: it stays where it is')
    assert.equal(replicasWanted([{ replicas: 2, spread: 'zone' }, { replicas: 4, spread: 'host' }]), 4)
  })
})
