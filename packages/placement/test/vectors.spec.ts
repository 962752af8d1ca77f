import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import {
  PARTITION_BITS, createPlacement, partitionOfDigest, partitionOfRef, readerOrder, rendezvousKey
} from '../src/index.js'
import type { PlacementError } from '../src/index.js'
import type { Vectors } from './vectors.js'

const vectors = JSON.parse(readFileSync(new URL('../../test-vectors/placement-v1.json', import.meta.url), 'utf8')) as Vectors

describe('published test vectors (test-vectors/placement-v1.json)', () => {
  it('are for this partition count', () => {
    assert.equal(vectors.format, 'weft-placement-vectors/1')
    assert.equal(vectors.partitionBits, PARTITION_BITS)
  })

  it('chunk and ref partitions', () => {
    assert.ok(vectors.digests.length > 0 && vectors.refs.length > 0)
    for (const { digest, partition } of vectors.digests) assert.equal(partitionOfDigest(Buffer.from(digest, 'hex')), partition, digest)
    for (const { bucket, key, partition } of vectors.refs) assert.equal(partitionOfRef(bucket, key), partition, `${bucket}/${key}`)
  })

  it('hashes and keys, bit for bit', () => {
    for (const v of vectors.keys) {
      const got = rendezvousKey(v.peerId, v.weight, v.partition)
      assert.deepEqual({ hash: got.hash, lnU: got.lnU, key: got.key }, { hash: v.hash, lnU: v.lnU, key: v.key }, `${v.peerId} @ ${v.partition}`)
    }
  })

  it('rankings, replica sets (degraded and unsatisfiable ones too) and fallbacks', () => {
    let sets = 0
    let degraded = 0
    let errors = 0
    for (const m of vectors.maps) {
      const placement = createPlacement(m.map)
      for (const pc of m.partitions) {
        assert.deepEqual(placement.ranking(pc.partition).map(n => n.peerId), pc.ranking, `${m.name} @ ${pc.partition}`)
        for (const sc of pc.sets) {
          const what = `${m.name} @ ${pc.partition} ${JSON.stringify(sc.policy)}`
          if (sc.error != null) {
            errors++
            assert.throws(() => placement.replicaSet(pc.partition, sc.policy), (err: PlacementError) => err.code === sc.error, what)
            continue
          }
          sets++
          const set = placement.replicaSet(pc.partition, sc.policy)
          assert.deepEqual(set.nodes.map(n => n.peerId), sc.nodes, what)
          assert.equal(set.degraded, sc.degraded, what)
          if (set.degraded) degraded++
          assert.deepEqual(placement.fallbacks(pc.partition, sc.policy).map(n => n.peerId), sc.fallbacks, what)
        }
      }
    }
    assert.ok(sets > 50 && degraded > 5 && errors > 5, `vectors cover too little: ${sets} sets, ${degraded} degraded, ${errors} errors`)
  })

  it('reader orders', () => {
    for (const c of vectors.readers) {
      assert.deepEqual(readerOrder(c.replicas, c.reader, new Map(Object.entries(c.stats))).map(n => n.peerId), c.order)
    }
  })
})
