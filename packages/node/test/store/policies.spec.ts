import assert from 'node:assert/strict'
import { Harness, chunk } from './fixtures.js'
import type { ChunkPolicy } from '@weft/protocol'

const R3: ChunkPolicy = { replicas: 3, spread: 'zone' }
const EU: ChunkPolicy = { replicas: 2, spread: 'host', allowedZones: ['eu/'] }

describe('chunk store: placement policies', () => {
  const h = new Harness()
  afterEach(async () => { await h.cleanup() })

  it('keeps the policies a chunk was written under, merges those of later puts, and survives a reopen', async () => {
    const dir = await h.dir()
    let store = await h.open({ dir })
    const { bytes, cid } = await chunk(1000)
    const other = await chunk(10)
    await store.put(cid, bytes, { policies: [R3] })
    await store.put(other.cid, other.bytes)
    assert.deepEqual((await store.stat(cid))?.policies, [R3])
    assert.deepEqual((await store.stat(other.cid))?.policies, [])

    // a second put of the same chunk (another bucket) adds its policy once
    await store.put(cid, bytes, { policies: [EU] })
    await store.put(cid, bytes, { policies: [EU, R3] })
    assert.equal(await store.addPolicies(other.cid, [EU]), true)
    assert.equal(await store.addPolicies((await chunk(5)).cid, [EU]), false)

    await store.close()
    store = await h.open({ dir })
    assert.deepEqual((await store.stat(cid))?.policies, [R3, EU])
    const listed = new Map<string, readonly ChunkPolicy[]>()
    for await (const c of store.list()) listed.set(c.cid.toString(), c.policies)
    assert.deepEqual(listed.get(cid.toString()), [R3, EU])
    assert.deepEqual(listed.get(other.cid.toString()), [EU])
  })
})
