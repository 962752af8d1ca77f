import assert from 'node:assert/strict'
import { BUCKETS_NAMESPACE, chunkCid } from '@weft/protocol'
import { RefsHarness, waitFor } from './refs-helpers.js'
import type { Client, RefNode } from './refs-helpers.js'

describe('buckets (3 real nodes)', function () {
  this.timeout(30_000)
  const t = new RefsHarness()
  let nodes: RefNode[]
  let a: Client
  let b: Client

  before(async () => {
    nodes = await t.cluster(3, ['eu/dc1/r1/h1', 'eu/dc1/r1/h2', 'eu/dc2/r1/h3'])
    a = await t.client(nodes[0]!.node)
    b = await t.client(nodes[2]!.node)
    await waitFor('clients see 3', () => [a, b].every(c => c.mesh.getMap().nodes.filter(n => n.state === 'up').length === 3))
  })
  after(async () => { await t.teardown() })

  it('create, get, list, and the rules they enforce', async () => {
    const created = await a.buckets.createBucket('photos', { replicas: 2, allowedZones: ['eu/dc1'] })
    assert.deepEqual(created.policy, { replicas: 2, spread: 'host', allowedZones: ['eu/dc1'], chunkSize: 4 * 1024 * 1024 })
    assert.deepEqual((await b.buckets.getBucket('photos')).policy, created.policy)
    await a.buckets.createBucket('logs')
    await assert.rejects(b.buckets.createBucket('photos'), { code: 'ERR_BUCKET_EXISTS' })
    await assert.rejects(a.buckets.createBucket('Bad_Name'), { code: 'ERR_INVALID_BUCKET_NAME' })
    await assert.rejects(a.buckets.createBucket('okname', { replicas: 0 }), { code: 'ERR_INVALID_BUCKET_POLICY' })
    await assert.rejects(a.buckets.createBucket('okname', { allowedZones: ['us'] }), { code: 'ERR_POLICY_UNSATISFIABLE' })
    await assert.rejects(a.buckets.createBucket('okname', { replicas: 4 }), { code: 'ERR_POLICY_UNSATISFIABLE' })
    await assert.rejects(b.buckets.getBucket('okname'), (err: Error & { code?: string, bucket?: string }) => err.code === 'ERR_NO_SUCH_BUCKET' && err.bucket === 'okname')
    assert.deepEqual((await b.buckets.listBuckets()).map(r => r.name), ['logs', 'photos'])
    // bucket records are replicated like refs: every node of the namespace's replica set holds them
    let holders = 0
    for (const n of nodes) if (await n.refs.store.get({ bucket: BUCKETS_NAMESPACE, key: 'photos' }) != null) holders++
    assert.ok(holders >= 2)
  })

  it('delete refuses a non-empty bucket, then removes it; others see it within the cache TTL', async () => {
    const bucket = await a.buckets.createBucket('scratch', { replicas: 3 })
    const bytes = new TextEncoder().encode('x')
    await a.refs.putRef({ bucket: 'scratch', key: 'one', manifest: (await chunkCid(bytes)).toString(), size: 1, etag: 'e', deleted: false }, bucket.policy)
    assert.equal((await b.buckets.getBucket('scratch')).name, 'scratch')
    await assert.rejects(a.buckets.deleteBucket('scratch'), { code: 'ERR_BUCKET_NOT_EMPTY' })
    await a.refs.deleteRef('scratch', 'one', bucket.policy)
    await a.buckets.deleteBucket('scratch')
    await assert.rejects(a.buckets.getBucket('scratch'), { code: 'ERR_NO_SUCH_BUCKET' })
    await assert.rejects(a.buckets.deleteBucket('scratch'), { code: 'ERR_NO_SUCH_BUCKET' })
    // b cached it a moment ago; the cache expires (300 ms in these tests)
    await new Promise(resolve => setTimeout(resolve, 350))
    await assert.rejects(b.buckets.getBucket('scratch'), { code: 'ERR_NO_SUCH_BUCKET' })
    assert.ok(!(await b.buckets.listBuckets()).some(r => r.name === 'scratch'))
    // the name is free again, with a new policy
    const again = await b.buckets.createBucket('scratch', { replicas: 1 })
    assert.equal((await a.buckets.getBucket('scratch', { fresh: true })).policy.replicas, 1)
    assert.ok(again.version.wallMs >= bucket.version.wallMs)
  })
})
