import assert from 'node:assert/strict'
import { chunkCid, compareKeys, tombstone } from '@weft/protocol'
import { mergeListing } from '../../src/refs/list.js'
import type { ListSource } from '../../src/refs/list.js'
import type { RefRecord, StoredRecord } from '@weft/protocol'

const manifest = (await chunkCid(Uint8Array.of(1))).toString()
const live = (key: string, wallMs: number): RefRecord => ({ bucket: 'photos', key, manifest, size: 1, etag: 'e', version: { wallMs, counter: 0, writer: 'w' }, deleted: false })

/** A node holding `records`, answering pages like a replica does; counts its requests, fails on request `failAt`. */
function node (peer: string, records: StoredRecord[], failAt = Infinity): ListSource & { requests: number } {
  const sorted = [...records].sort((a, b) => compareKeys((a as RefRecord).key, (b as RefRecord).key))
  const source = {
    peer,
    requests: 0,
    fetch: async (after: string | undefined, limit: number) => {
      source.requests++
      if (source.requests >= failAt) throw Object.assign(new Error('gone'), { code: 'ERR_PEER_UNREACHABLE' })
      const rest = sorted.filter(r => after === undefined || compareKeys((r as RefRecord).key, after) > 0)
      return { records: rest.slice(0, limit), more: rest.length > limit }
    }
  }
  return source
}

async function keys (it: AsyncIterable<StoredRecord>): Promise<Array<[string, number, boolean]>> {
  const out: Array<[string, number, boolean]> = []
  for await (const r of it) out.push([(r as RefRecord).key, r.version.wallMs, r.deleted])
  return out
}

describe('listing merge', () => {
  it('yields every key once, in order, newest version per key, across pages of any size', async () => {
    const a = node('a', [live('k1', 1), live('k3', 5), live('k5', 1), tombstone('photos', 'k7', { wallMs: 9, counter: 0, writer: 'w' })])
    const b = node('b', [live('k1', 2), live('k2', 1), live('k5', 1), live('k7', 3)])
    const c = node('c', [live('k3', 4), live('k4', 1), live('k6', 1), live('k2', 7)])
    const expected: Array<[string, number, boolean]> = [['k1', 2, false], ['k2', 7, false], ['k3', 5, false], ['k4', 1, false], ['k5', 1, false], ['k6', 1, false], ['k7', 9, true]]
    for (const pageSize of [1, 2, 3, 1000]) {
      assert.deepEqual(await keys(mergeListing([a, b, c], { pageSize, tolerate: 0 })), expected, `pages of ${pageSize}`)
    }
    assert.deepEqual(await keys(mergeListing([a, b, c], { pageSize: 2, tolerate: 0, startAfter: 'k4' })), expected.slice(4))
    assert.deepEqual(await keys(mergeListing([], { pageSize: 2, tolerate: 0 })), [])
  })

  it('asks each node only for what the merge consumes', async () => {
    const many = Array.from({ length: 100 }, (_, i) => live(`k${String(i).padStart(3, '0')}`, 1))
    const a = node('a', many)
    const b = node('b', many)
    const it = mergeListing([a, b], { pageSize: 10, tolerate: 0 })
    for (let i = 0; i < 15; i++) await it.next()
    await it.return(undefined)
    assert.equal(a.requests, 2)
    assert.equal(b.requests, 2)
  })

  it('tolerates `tolerate` failed nodes (after a retry) and fails beyond with ERR_LIST_INCOMPLETE', async () => {
    const records = [live('a', 1), live('b', 1), live('c', 1)]
    // a fails on its second request and on the retry: the others still hold everything
    const flaky = node('flaky', records, 2)
    const got = await keys(mergeListing([flaky, node('b', records), node('c', records)], { pageSize: 1, tolerate: 1 }))
    assert.deepEqual(got.map(k => k[0]), ['a', 'b', 'c'])
    await assert.rejects(keys(mergeListing([node('x', records, 1), node('y', records, 2), node('z', records)], { pageSize: 1, tolerate: 1 })), { code: 'ERR_LIST_INCOMPLETE' })
    // a node that claims more but sends nothing would spin the merge: it counts as failed
    const liar: ListSource = { peer: 'liar', fetch: async () => ({ records: [], more: true }) }
    await assert.rejects(keys(mergeListing([liar], { pageSize: 5, tolerate: 0 })), { code: 'ERR_LIST_INCOMPLETE' })
  })
})
