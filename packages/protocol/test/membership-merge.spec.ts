import assert from 'node:assert/strict'
import { signRecord } from '../src/membership/envelope.js'
import { RecordSet } from '../src/membership/merge.js'
import { testPeer, testRecord } from './membership-fixtures.js'
import type { SignedRecord } from '../src/membership/envelope.js'

function shuffle<T> (items: T[], seed: number): T[] {
  const out = items.slice()
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648
    const j = s % (i + 1)
    const a = out[i] as T
    out[i] = out[j] as T
    out[j] = a
  }
  return out
}

describe('membership merge (RecordSet)', () => {
  it('keeps the highest seq per peer', async () => {
    const p = await testPeer()
    const set = new RecordSet()
    const r1 = await signRecord(testRecord(p.peerId, { seq: 1 }), p.key)
    const r5 = await signRecord(testRecord(p.peerId, { seq: 5, usedBytes: 10 }), p.key)
    assert.equal(set.merge(r1), 'added')
    assert.equal(set.merge(r5), 'updated')
    assert.equal(set.merge(r1), 'stale')
    assert.equal(set.merge(r5), 'duplicate')
    assert.equal(set.get(p.peerId)?.record.seq, 5)
    assert.equal(set.size, 1)
  })

  it('converges to the same state whatever the order of arrival', async () => {
    const peers = await Promise.all([testPeer(), testPeer(), testPeer()])
    const all: SignedRecord[] = []
    for (const p of peers) {
      for (let seq = 1; seq <= 4; seq++) all.push(await signRecord(testRecord(p.peerId, { seq, usedBytes: seq }), p.key))
    }
    // an equivocating signer: two different records with the same seq
    const p0 = peers[0]
    all.push(await signRecord(testRecord(p0.peerId, { seq: 4, usedBytes: 999 }), p0.key))
    const states = [1, 2, 3, 4, 5].map(seed => {
      const set = new RecordSet()
      for (const r of shuffle(all, seed)) set.merge(r)
      return [...set.values()].map(r => Buffer.from(r.bytes).toString('hex')).sort().join()
    })
    for (const s of states) assert.equal(s, states[0])
  })

  it('reports a conflict for the same seq with other content', async () => {
    const p = await testPeer()
    const set = new RecordSet()
    set.merge(await signRecord(testRecord(p.peerId, { seq: 2 }), p.key))
    assert.equal(set.merge(await signRecord(testRecord(p.peerId, { seq: 2, usedBytes: 1 }), p.key)), 'conflict')
  })

  it('holds at most maxMembers peers', async () => {
    const set = new RecordSet({ maxMembers: 2 })
    const peers = await Promise.all([testPeer(), testPeer(), testPeer()])
    const results = []
    for (const p of peers) results.push(set.merge(await signRecord(testRecord(p.peerId), p.key)))
    assert.deepEqual(results, ['added', 'added', 'full'])
    assert.equal(set.size, 2)
    // a held peer still updates while the set is full
    const p1 = peers[1]
    assert.equal(set.merge(await signRecord(testRecord(p1.peerId, { seq: 2 }), p1.key)), 'updated')
  })
})
