import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { RecordEnvelope } from '@libp2p/peer-record'
import { MAX_RECORD_BYTES, RECORD_CODEC, RECORD_DOMAIN } from '../src/membership/constants.js'
import { openRecord, signRecord } from '../src/membership/envelope.js'
import { decodeRecordPayload, validateRecord } from '../src/membership/record.js'
import { MESH_A, MESH_B, testPeer, testRecord } from './membership-fixtures.js'
import type { Record as Libp2pRecord } from '@libp2p/interface'

function rawRecord (payload: Uint8Array, codec = RECORD_CODEC): Libp2pRecord {
  return { domain: RECORD_DOMAIN, codec, marshal: () => payload, equals: () => false }
}

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))

describe('membership record', () => {
  it('round-trips a signed record and keeps the signed bytes', async () => {
    const p = await testPeer()
    const signed = await signRecord(testRecord(p.peerId, { seq: 7 }), p.key)
    assert.ok(signed.bytes.byteLength < MAX_RECORD_BYTES)
    const opened = await openRecord(signed.bytes, { meshId: MESH_A })
    assert.deepEqual(opened.record, signed.record)
    assert.equal(opened.record.seq, 7)
    assert.deepEqual(opened.bytes, signed.bytes)
    assert.ok(Object.isFrozen(opened.record))
  })

  it('rejects a record whose signature does not verify', async () => {
    const p = await testPeer()
    const signed = await signRecord(testRecord(p.peerId), p.key)
    const tampered = signed.bytes.slice()
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff
    await assert.rejects(openRecord(tampered, { meshId: MESH_A }), { code: 'ERR_INVALID_SIGNATURE' })
  })

  it('rejects a record signed by one peer for another', async () => {
    const a = await testPeer()
    const b = await testPeer()
    await assert.rejects(signRecord(testRecord(b.peerId), a.key), { code: 'ERR_RECORD_SIGNER_MISMATCH' })
    const forged = await RecordEnvelope.seal(rawRecord(json(testRecord(b.peerId))), a.key)
    await assert.rejects(openRecord(forged.marshal(), { meshId: MESH_A }), { code: 'ERR_RECORD_SIGNER_MISMATCH' })
  })

  it('rejects a record of another mesh', async () => {
    const p = await testPeer()
    const signed = await signRecord(testRecord(p.peerId, { meshId: MESH_B }), p.key)
    await assert.rejects(openRecord(signed.bytes, { meshId: MESH_A }), { code: 'ERR_WRONG_MESH' })
  })

  it('rejects oversized input before parsing it', async () => {
    await assert.rejects(openRecord(new Uint8Array(MAX_RECORD_BYTES + 1), { meshId: MESH_A }), { code: 'ERR_RECORD_TOO_LARGE' })
    const p = await testPeer()
    const padded = { ...testRecord(p.peerId), pad: 'x'.repeat(MAX_RECORD_BYTES) }
    const env = await RecordEnvelope.seal(rawRecord(json(padded)), p.key)
    await assert.rejects(openRecord(env.marshal(), { meshId: MESH_A }), { code: 'ERR_RECORD_TOO_LARGE' })
  })

  it('rejects garbage, other payload types, other signature domains and non-Ed25519 keys', async () => {
    await assert.rejects(openRecord(Uint8Array.of(1, 2, 3, 4, 5), { meshId: MESH_A }), { code: 'ERR_INVALID_RECORD' })
    const p = await testPeer()
    const payload = json(testRecord(p.peerId))
    const otherCodec = await RecordEnvelope.seal(rawRecord(payload, Uint8Array.of(3, 1)), p.key)
    await assert.rejects(openRecord(otherCodec.marshal(), { meshId: MESH_A }), { code: 'ERR_INVALID_RECORD' })
    const otherDomain = await RecordEnvelope.seal({ ...rawRecord(payload), domain: 'libp2p-peer-record' }, p.key)
    await assert.rejects(openRecord(otherDomain.marshal(), { meshId: MESH_A }), { code: 'ERR_INVALID_SIGNATURE' })
    const secp = await generateKeyPair('secp256k1')
    const secpEnv = await RecordEnvelope.seal(rawRecord(payload), secp)
    await assert.rejects(openRecord(secpEnv.marshal(), { meshId: MESH_A }), { code: 'ERR_INVALID_SIGNATURE' })
    const notJson = await RecordEnvelope.seal(rawRecord(new TextEncoder().encode('{"peerId":')), p.key)
    await assert.rejects(openRecord(notJson.marshal(), { meshId: MESH_A }), { code: 'ERR_INVALID_RECORD' })
  })

  it('validates every field and its bounds', async () => {
    const p = await testPeer()
    const good = testRecord(p.peerId)
    const bad: Array<[string, unknown]> = [
      ['seq', 0], ['seq', 1.5], ['seq', -1], ['seq', '1'],
      ['meshId', 'A'.repeat(32)], ['meshId', 'a'.repeat(31)],
      ['peerId', 'not a peer id'], ['peerId', '1'.repeat(200)],
      ['zone', 'a/b/c/d/e'], ['zone', 'eu/dc 1'], ['zone', 'x'.repeat(64)],
      ['addrs', 'x'], ['addrs', ['not-a-multiaddr']], ['addrs', Array(17).fill('/ip4/1.2.3.4/tcp/1')], ['addrs', ['/ip4/1.2.3.4/tcp/' + '1'.repeat(300)]],
      ['bulkAddr', 5], ['bulkAddr', 'x'.repeat(300)],
      ['capacityBytes', -1], ['usedBytes', Number.NaN], ['weight', 0], ['weight', Infinity],
      ['state', 'gone'], ['load', { inFlight: -1, mbps: 0 }], ['load', { inFlight: 0 }], ['load', null],
      ['full', 'no'], ['version', 'v'.repeat(65)], ['startedAt', -5]
    ]
    for (const [field, value] of bad) {
      assert.throws(() => validateRecord({ ...good, [field]: value }), { code: 'ERR_INVALID_RECORD' }, `${field} = ${JSON.stringify(value)?.slice(0, 40)}`)
    }
    assert.throws(() => validateRecord(null), { code: 'ERR_INVALID_RECORD' })
    assert.throws(() => validateRecord([good]), { code: 'ERR_INVALID_RECORD' })
    const { zone: _zone, ...missing } = good
    assert.throws(() => validateRecord(missing), { code: 'ERR_INVALID_RECORD' })
  })

  it('ignores unknown fields so later versions can add some', async () => {
    const p = await testPeer()
    const extended = { ...testRecord(p.peerId, { seq: 3 }), futureField: { a: 1 } }
    const env = await RecordEnvelope.seal(rawRecord(json(extended)), p.key)
    const opened = await openRecord(env.marshal(), { meshId: MESH_A })
    assert.equal(opened.record.seq, 3)
    assert.equal((opened.record as unknown as Record<string, unknown>).futureField, undefined)
    assert.deepEqual(decodeRecordPayload(json(extended)), opened.record)
  })
})
