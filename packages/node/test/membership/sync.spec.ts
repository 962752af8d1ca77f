import assert from 'node:assert/strict'
import { streamPair } from '@libp2p/utils'
import { RecordSet, openRecord, requestMemberSync, serveMemberSync } from '@weft/protocol'
import { MESH, peer } from './fixtures.js'
import type { MemberSyncLocal } from '@weft/protocol'

function localOf (set: RecordSet): MemberSyncLocal {
  return {
    entries: () => [...set.values()].map(s => ({ peerId: s.record.peerId, seq: s.record.seq, ageMs: 0 })),
    lookup: (id) => {
      const s = set.get(id)
      return s == null ? undefined : { seq: s.record.seq, bytes: s.bytes, ageMs: 0 }
    },
    receive: async (bytes) => { set.merge(await openRecord(bytes, { meshId: MESH })) }
  }
}

describe('member sync exchange over a stream', () => {
  it('pulls what it lacks and pushes what it has newer: both sides converge', async () => {
    const [a, b, c] = await Promise.all([peer(), peer(), peer()])
    const left = new RecordSet()
    const right = new RecordSet()
    left.merge(await a.sign({ seq: 5 }))
    left.merge(await b.sign({ seq: 1 }))
    right.merge(await b.sign({ seq: 3 }))
    right.merge(await c.sign({ seq: 2 }))
    const [out, inb] = await streamPair()
    const [req, res] = await Promise.all([requestMemberSync(out, localOf(left)), serveMemberSync(inb, localOf(right))])
    assert.deepEqual({ received: req.received, sent: req.sent }, { received: 2, sent: 1 })
    assert.deepEqual({ received: res.received, sent: res.sent }, { received: 1, sent: 2 })
    for (const set of [left, right]) {
      assert.deepEqual([a, b, c].map(p => set.get(p.id)?.record.seq), [5, 3, 2])
    }
  })

  it('serves a client holding nothing (a non-member) everything', async () => {
    const peers = await Promise.all(Array.from({ length: 20 }, async () => peer()))
    const server = new RecordSet()
    for (const p of peers) server.merge(await p.sign())
    const client = new RecordSet()
    const [out, inb] = await streamPair()
    await Promise.all([requestMemberSync(out, localOf(client)), serveMemberSync(inb, localOf(server))])
    assert.equal(client.size, 20)
  })

  it('counts and survives a few invalid records, then cuts off a remote sending too many', async () => {
    const a = await peer()
    const server = new RecordSet()
    server.merge(await a.sign())
    const bad: MemberSyncLocal = {
      entries: () => Array.from({ length: 30 }, (_, i) => ({ peerId: `12D3KooWbad${'x'.repeat(20)}${i}`.replace(/0/g, 'z'), seq: 1, ageMs: 0 })),
      lookup: () => ({ seq: 1, bytes: new Uint8Array(64).fill(3), ageMs: 0 }),
      receive: async () => {}
    }
    const [out, inb] = await streamPair()
    const results = await Promise.allSettled([requestMemberSync(out, bad), serveMemberSync(inb, localOf(server), { maxRejected: 4 })])
    assert.equal(results[1].status, 'rejected')
    const reason: unknown = results[1].status === 'rejected' ? results[1].reason : undefined
    assert.equal((reason as { code?: string } | undefined)?.code, 'ERR_MALFORMED_MEMBER_MESSAGE')
    assert.equal(server.size, 1)
  })

  it('refuses a digest longer than maxMembers', async () => {
    const a = await peer()
    const many = new RecordSet()
    for (let i = 0; i < 5; i++) many.merge(await (await peer()).sign())
    const server = new RecordSet()
    server.merge(await a.sign())
    const [out, inb] = await streamPair()
    const results = await Promise.allSettled([requestMemberSync(out, localOf(many)), serveMemberSync(inb, localOf(server), { maxMembers: 3 })])
    assert.equal(results[1].status, 'rejected')
  })
})
