import assert from 'node:assert/strict'
import { chunkCid } from '@weft/protocol'
import { ListIncompleteError } from './refs-client.js'
import { RefsHarness, utf8Order, waitFor } from './refs-helpers.js'
import type { Client, RefNode } from './refs-helpers.js'
import type { PlacementPolicy } from '@weft/placement'
import type { RefRecord } from '@weft/protocol'

const ZONES = ['eu/dc1/r1/h1', 'eu/dc1/r2/h2', 'eu/dc2/r1/h3', 'us/dc1/r1/h4', 'us/dc1/r2/h5']
const POLICY: PlacementPolicy = { replicas: 3, spread: 'host' }

async function put (c: Client, bucket: string, key: string, policy: PlacementPolicy): Promise<void> {
  const bytes = new TextEncoder().encode(key)
  await c.refs.putRef({ bucket, key, manifest: (await chunkCid(bytes)).toString(), size: bytes.byteLength, etag: 'e', deleted: false }, policy)
}

async function keysOf (it: AsyncIterable<RefRecord>): Promise<string[]> {
  const out: string[] = []
  for await (const r of it) out.push(r.key)
  return out
}

/** Keys whose UTF-16 and UTF-8 orders differ (U+E000 sorts before an astral character in UTF-8), and prefixes to list by. */
function makeKeys (n: number): string[] {
  const stems = ['a/', 'a/b/', 'b/', 'é/', '日本/', '\uE000/', '😀/', 'z']
  return Array.from({ length: n }, (_, i) => `${stems[i % stems.length]!}${String(i * 7919 % 1000).padStart(3, '0')}-${i}`)
}

describe('refs: listings merged across 5 nodes', function () {
  this.timeout(40_000)
  const t = new RefsHarness()
  let nodes: RefNode[]
  let c: Client
  const live = new Set<string>()

  before(async () => {
    nodes = await t.cluster(5, ZONES)
    c = await t.client(nodes[0]!.node)
    await waitFor('client sees 5', () => c.mesh.getMap().nodes.filter(n => n.state === 'up').length === 5)
    const keys = makeKeys(300)
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map(async k => put(c, 'photos', k, POLICY)))
    // delete every tenth: tombstones must not show, and must not stop the merge
    await Promise.all(keys.filter((_, i) => i % 10 === 3).map(async k => c.refs.deleteRef('photos', k, POLICY)))
    for (const [i, k] of keys.entries()) if (i % 10 !== 3) live.add(k)
    await c.refs.settled()
  })
  after(async () => { await t.teardown() })

  it('is complete, in UTF-8 order, with prefixes, cursors, limits and pages', async () => {
    const reference = [...live].sort(utf8Order)
    assert.deepEqual(await keysOf(c.refs.listRefs('photos', POLICY, { pageSize: 7 })), reference)
    assert.deepEqual(await keysOf(c.refs.listRefs('photos', POLICY)), reference)
    for (const prefix of ['a/', 'a/b/', '日本/', '😀/', 'nothing/']) {
      assert.deepEqual(await keysOf(c.refs.listRefs('photos', POLICY, { prefix, pageSize: 5 })), reference.filter(k => k.startsWith(prefix)), prefix)
    }
    const cursor = reference[100]!
    assert.deepEqual(await keysOf(c.refs.listRefs('photos', POLICY, { startAfter: cursor, pageSize: 13 })), reference.slice(101))
    assert.deepEqual(await keysOf(c.refs.listRefs('photos', POLICY, { prefix: 'a/', startAfter: 'a/b/', pageSize: 9 })), reference.filter(k => k.startsWith('a/') && utf8Order(k, 'a/b/') > 0))
    assert.deepEqual(await keysOf(c.refs.listRefs('photos', POLICY, { limit: 25 })), reference.slice(0, 25))
    // S3-style pages
    const paged: string[] = []
    let startAfter: string | undefined
    let pages = 0
    for (;;) {
      const page = await c.refs.listPage('photos', POLICY, { limit: 40, ...(startAfter != null ? { startAfter } : {}) })
      paged.push(...page.refs.map(r => r.key))
      pages++
      if (!page.isTruncated) break
      assert.equal(page.refs.length, 40)
      startAfter = page.nextStartAfter
    }
    assert.deepEqual(paged, reference)
    assert.equal(pages, Math.ceil(reference.length / 40))
    assert.deepEqual(await keysOf(c.refs.listRefs('empty-bucket', POLICY)), [])
  })

  it('tolerates as many failed nodes as the replication covers, and says so beyond', async () => {
    const reference = [...live].sort(utf8Order)
    await nodes[1]!.refs.stop()
    try {
      assert.deepEqual(await keysOf(c.refs.listRefs('photos', POLICY, { pageSize: 50 })), reference, 'every key is on another replica')
      await nodes[2]!.refs.stop()
      await assert.rejects(keysOf(c.refs.listRefs('photos', POLICY, { pageSize: 50 })), (err: Error) => {
        assert.ok(err instanceof ListIncompleteError)
        assert.equal((err as Error & { code: string }).code, 'ERR_LIST_INCOMPLETE')
        return true
      })
    } finally {
      await nodes[1]!.refs.start()
      await nodes[2]!.refs.start()
    }
  })

  it('a policy with allowed zones keeps every ref copy inside them', async () => {
    const policy: PlacementPolicy = { replicas: 2, spread: 'host', allowedZones: ['us'] }
    const keys = Array.from({ length: 24 }, (_, i) => `doc-${i}`)
    await Promise.all(keys.map(async k => put(c, 'sovereign', k, policy)))
    await c.refs.settled()
    for (const n of nodes) {
      const page = await n.refs.store.list({ bucket: 'sovereign', prefix: '', limit: 1000 })
      const inUs = n.node.record?.zone.startsWith('us/') === true
      assert.equal(page.records.length, inUs ? keys.length : 0, `${n.node.record?.zone ?? ''} holds ${page.records.length}`)
    }
    assert.deepEqual(await keysOf(c.refs.listRefs('sovereign', policy)), [...keys].sort(utf8Order))
    await assert.rejects(put(c, 'sovereign', 'x', { replicas: 3, spread: 'host', allowedZones: ['us'] }), { code: 'ERR_POLICY_UNSATISFIABLE' })
  })
})
