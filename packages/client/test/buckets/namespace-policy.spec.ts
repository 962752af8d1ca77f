import assert from 'node:assert/strict'
import { DEFAULT_BUCKET_POLICY } from '@weft/protocol'
import { bucketsNamespacePolicy } from '../../src/buckets/buckets.js'
import type { ClusterNode, NodeState } from '@weft/placement'

const nodes = (states: NodeState[]): ClusterNode[] => states.map((state, i) => ({ peerId: `p${i}`, weight: 1, zone: '', state }))

describe('bucket namespace policy', () => {
  it('is the default policy, with replicas lowered to the up nodes of a small mesh', () => {
    assert.equal(bucketsNamespacePolicy({ version: 1, nodes: nodes(['up', 'up', 'up', 'up']) }).replicas, DEFAULT_BUCKET_POLICY.replicas)
    assert.equal(bucketsNamespacePolicy({ version: 1, nodes: nodes(['up', 'up', 'down', 'draining']) }).replicas, 2)
    assert.equal(bucketsNamespacePolicy({ version: 1, nodes: nodes(['up']) }).replicas, 1)
    assert.equal(bucketsNamespacePolicy({ version: 1, nodes: [] }).replicas, 1)
    assert.equal(bucketsNamespacePolicy({ version: 1, nodes: nodes(['up', 'up', 'up']) }).spread, DEFAULT_BUCKET_POLICY.spread)
  })
})
