import assert from 'node:assert/strict'
import { createPlacement, partitionOfDigest } from '@weft/placement'
import { chunkCidSync } from '@weft/protocol'
import { Locator } from '../../src/reads/locate.js'
import { ReplicaStats } from '../../src/reads/stats.js'
import { peers, randomBytes } from './memory-chunks.js'
import type { ClusterMap, NodeState } from '@weft/placement'

describe('reads/locate: where to look for a chunk', () => {
  const cid = chunkCidSync(randomBytes(1000, 1))
  const policy = { replicas: 2, spread: 'zone' as const }

  async function setup (states: NodeState[] = ['up', 'up', 'up', 'up'], zone = ''): Promise<{ map: ClusterMap, stats: ReplicaStats, locator: Locator, ids: string[] }> {
    const ids = (await peers(4)).map(p => p.id)
    const map: ClusterMap = { version: 1, nodes: ids.map((peerId, i) => ({ peerId, weight: 1, zone: `eu/z${i}/r/h${i}`, state: states[i] ?? 'up' })) }
    const stats = new ReplicaStats()
    const locator = new Locator({ placement: () => createPlacement(map), stats, reader: { zone } })
    return { map, stats, locator, ids }
  }

  it('the replica set first (in the reader order), then the other live nodes of the ranking', async () => {
    const { map, locator } = await setup()
    const placement = createPlacement(map)
    const set = placement.replicaSet(partitionOfDigest(cid.multihash.digest), policy).nodes.map(n => n.peerId)
    const got = locator.candidates(cid, policy).map(c => c.id)
    assert.deepEqual(got.slice(0, 2).sort(), [...set].sort())
    assert.equal(got.length, 4)
    // a reader in the zone of the second replica asks it first
    const second = map.nodes.find(n => n.peerId === set[1])!
    const local = new Locator({ placement: () => placement, stats: new ReplicaStats(), reader: { zone: second.zone } })
    assert.equal(local.candidates(cid, policy)[0]?.id, second.peerId)
  })

  it('a slow or failing replica goes last, even in the reader zone', async () => {
    const { map, stats } = await setup()
    const placement = createPlacement(map)
    const set = placement.replicaSet(partitionOfDigest(cid.multihash.digest), policy).nodes.map(n => n.peerId)
    const first = map.nodes.find(n => n.peerId === set[0])!
    const locator = new Locator({ placement: () => placement, stats, reader: { zone: first.zone } })
    assert.equal(locator.candidates(cid, policy)[0]?.id, first.peerId)
    stats.failed(first.peerId)
    assert.deepEqual(locator.candidates(cid, policy).slice(0, 2).map(c => c.id), [set[1], set[0]])
  })

  it('down nodes are skipped; with too few live nodes for the policy it still looks where copies are', async () => {
    const { locator, ids } = await setup(['down', 'up', 'down', 'draining'])
    const got = locator.candidates(cid, { replicas: 3, spread: 'host' }).map(c => c.id)
    assert.deepEqual([...got].sort(), [ids[1], ids[3]].sort())
  })
})
