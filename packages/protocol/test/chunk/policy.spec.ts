import assert from 'node:assert/strict'
import { MAX_CHUNK_POLICIES } from '../../src/chunk/constants.js'
import { decodePutRequest, encodePutRequest } from '../../src/chunk/messages.js'
import { MetaReader, MetaWriter } from '../../src/chunk/meta.js'
import { chunkPolicyKey, mergeChunkPolicies, readChunkPolicies, writeChunkPolicies } from '../../src/chunk/policy.js'
import { bytesOf, cidOf } from './fixtures.js'
import type { ChunkPolicy } from '../../src/chunk/policy.js'

const R3: ChunkPolicy = { replicas: 3, spread: 'zone' }
const EU: ChunkPolicy = { replicas: 2, spread: 'host', allowedZones: ['eu/', 'ch/zrh'] }

function decodePolicies (bytes: Uint8Array): ChunkPolicy[] {
  const r = new MetaReader(bytes)
  const out = readChunkPolicies(r)
  r.end()
  return out
}

describe('chunk policies on PUT', () => {
  it('round-trip in a put request, zones and all', async () => {
    const cid = await cidOf(bytesOf(10))
    const decoded = decodePutRequest(encodePutRequest({ cid, size: 10, forward: [], policies: [R3, EU] }))
    assert.deepEqual(decoded.policies, [R3, EU])
  })

  it('are optional: a put without them decodes without them', async () => {
    const cid = await cidOf(bytesOf(10))
    assert.equal(decodePutRequest(encodePutRequest({ cid, size: 10, forward: [] })).policies, undefined)
  })

  it('reject a count of 0 or above the limit, bad replicas and unknown spreads', () => {
    assert.throws(() => decodePolicies(Uint8Array.of(0)), /1 to/)
    assert.throws(() => decodePolicies(Uint8Array.of(MAX_CHUNK_POLICIES + 1)), /1 to/)
    assert.throws(() => decodePolicies(Uint8Array.of(1, 0, 0, 0)), /replicas 0/)
    assert.throws(() => decodePolicies(Uint8Array.of(1, 17, 0, 0)), /replicas 17/)
    assert.throws(() => decodePolicies(Uint8Array.of(1, 3, 9, 0)), /spread/)
    assert.throws(() => decodePolicies(Uint8Array.of(1, 3, 0, 33)), /zones/)
    assert.throws(() => decodePolicies(Uint8Array.of(1, 3, 0, 1)), /truncated/)
  })

  it('are validated before they are sent', () => {
    assert.throws(() => { writeChunkPolicies(new MetaWriter(), [{ replicas: 0, spread: 'zone' }]) }, RangeError)
    assert.throws(() => { writeChunkPolicies(new MetaWriter(), new Array(MAX_CHUNK_POLICIES + 1).fill(R3)) }, RangeError)
  })

  it('merge without duplicates (zone order ignored), bounded, keeping the first', () => {
    assert.equal(mergeChunkPolicies([R3], [{ replicas: 3, spread: 'zone', allowedZones: [] }]).length, 1)
    assert.equal(chunkPolicyKey({ replicas: 2, spread: 'host', allowedZones: ['ch/zrh', 'eu/'] }), chunkPolicyKey(EU))
    const held = [R3]
    assert.equal(mergeChunkPolicies(held, [R3]), held)
    assert.deepEqual(mergeChunkPolicies(held, [EU]), [R3, EU])
    const many = [1, 2, 3, 4, 5, 6].map(replicas => ({ replicas, spread: 'rack' as const }))
    assert.deepEqual(mergeChunkPolicies([], many).map(p => p.replicas), [1, 2, 3, 4])
  })
})
