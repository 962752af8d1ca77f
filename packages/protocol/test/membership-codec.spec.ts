import assert from 'node:assert/strict'
import { MAX_RECORD_BYTES, MAX_SYNC_FRAME_BYTES } from '../src/membership/constants.js'
import { decodeGossip, encodeGossip, membersTopic } from '../src/membership/gossip.js'
import { openMeshId, parseMeshKey } from '../src/membership/mesh-key.js'
import { decodeSyncFrame, encodeDigestFrames, encodeDoneFrame, encodeRecordFrame, encodeWantFrames } from '../src/membership/sync-codec.js'
import { readVarint, varintLength, writeVarint } from '../src/membership/varint.js'

const PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

describe('membership codecs', () => {
  it('varints round-trip up to 2^53 - 1 and refuse garbage', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      const buf = new Uint8Array(varintLength(v))
      assert.equal(writeVarint(v, buf, 0), buf.byteLength)
      assert.deepEqual(readVarint(buf, 0), [v, buf.byteLength])
    }
    assert.throws(() => readVarint(new Uint8Array(9).fill(0xff), 0), { code: 'ERR_MALFORMED_MEMBER_MESSAGE' })
    assert.throws(() => readVarint(Uint8Array.of(0x80), 0), { code: 'ERR_MALFORMED_MEMBER_MESSAGE' })
  })

  it('gossip messages round-trip and malformed ones are refused', () => {
    assert.deepEqual(decodeGossip(encodeGossip({ kind: 'heartbeat', beat: 42, seq: 2 ** 40 })), { kind: 'heartbeat', beat: 42, seq: 2 ** 40 })
    const rec = decodeGossip(encodeGossip({ kind: 'record', beat: 3, record: Uint8Array.of(9, 8, 7) }))
    assert.equal(rec.kind, 'record')
    assert.deepEqual(rec.kind === 'record' ? [...rec.record] : [], [9, 8, 7])
    for (const bad of [new Uint8Array(0), Uint8Array.of(7, 0), Uint8Array.of(1, 0), Uint8Array.of(1, 0, 0), Uint8Array.of(1, 0, 1, 5), Uint8Array.of(2, 0), new Uint8Array(MAX_RECORD_BYTES + 100)]) {
      assert.throws(() => decodeGossip(bad), { code: 'ERR_MALFORMED_MEMBER_MESSAGE' })
    }
    assert.equal(membersTopic('ab'.repeat(16)), `/weft/m/1/${'ab'.repeat(8)}`)
  })

  it('sync frames round-trip; big digests split into bounded frames', () => {
    const entries = Array.from({ length: 2000 }, (_, i) => ({ peerId: PEER, seq: i + 1, ageMs: i * 1000 }))
    const frames = encodeDigestFrames(entries)
    assert.ok(frames.length > 1)
    const decoded = frames.flatMap(f => {
      assert.ok(f.byteLength <= MAX_SYNC_FRAME_BYTES)
      const frame = decodeSyncFrame(f)
      return frame.kind === 'digest' ? frame.entries : []
    })
    assert.deepEqual(decoded, entries)
    assert.deepEqual(decodeSyncFrame(encodeWantFrames([PEER])[0]!), { kind: 'want', peerIds: [PEER] })
    assert.deepEqual(decodeSyncFrame(encodeDoneFrame()), { kind: 'done' })
    const rf = decodeSyncFrame(encodeRecordFrame(5, Uint8Array.of(1, 2)))
    assert.deepEqual(rf.kind === 'record' ? [rf.ageMs, [...rf.record]] : [], [5, [1, 2]])
    const badId = new Uint8Array([1, 3, 0x30, 0x30, 0x30, 1, 0])
    for (const bad of [new Uint8Array(0), Uint8Array.of(9), Uint8Array.of(4, 0), Uint8Array.of(2, 0), badId, Uint8Array.of(1, 0), Uint8Array.of(3, 200)]) {
      assert.throws(() => decodeSyncFrame(bad), { code: 'ERR_MALFORMED_MEMBER_MESSAGE' })
    }
  })

  it('parses mesh keys and derives distinct, stable mesh ids', async () => {
    const hex = 'ab'.repeat(32)
    const a = await parseMeshKey(`/key/swarm/psk/1.0.0/\n/base16/\n${hex}`)
    const a2 = await parseMeshKey(`/key/swarm/psk/1.0.0/\r\n/base16/\r\n${hex.toUpperCase()}\n`)
    const b = await parseMeshKey(`/key/swarm/psk/1.0.0/\n/base16/\n${'cd'.repeat(32)}`)
    assert.equal(a.meshId, a2.meshId)
    assert.notEqual(a.meshId, b.meshId)
    assert.match(a.meshId, /^[0-9a-f]{32}$/)
    assert.equal(a.secret.byteLength, 32)
    assert.notEqual(a.meshId, await openMeshId())
    for (const bad of ['', 'hello', `/key/swarm/psk/1.0.0/\n/base64/\n${hex}`, `/key/swarm/psk/1.0.0/\n/base16/\n${hex.slice(2)}`, 'x'.repeat(1000)]) {
      await assert.rejects(parseMeshKey(bad), { code: 'ERR_INVALID_MESH_KEY' })
    }
  })
})
