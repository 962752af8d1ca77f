import assert from 'node:assert/strict'
import { chunkCid } from '../../src/model/cid.js'
import { BUCKETS_NAMESPACE } from '../../src/model/constants.js'
import { MAX_LIST_LIMIT, MAX_REF_REQUEST_BYTES } from '../../src/refs/constants.js'
import { RefFrameDecoder, RefFrameType, encodeRefFrame } from '../../src/refs/frame.js'
import {
  decodeRefErrorAnswer, decodeRefGetAnswer, decodeRefGetRequest, decodeRefListAnswer, decodeRefListRequest,
  decodeRefPartitionRequest, decodeRefPutAnswer, encodeRefErrorAnswer, encodeRefGetAnswer, encodeRefGetRequest,
  encodeRefListAnswer, encodeRefListRequest, encodeRefPartitionRequest, encodeRefPutAnswer
} from '../../src/refs/messages.js'
import { compareKeys, decodeStoredRecord, encodeStoredRecord, isBucketRecord, recordLocation } from '../../src/refs/records.js'
import type { BucketRecord } from '../../src/model/bucket-record.js'
import type { RefRecord } from '../../src/model/ref-record.js'

const version = { wallMs: 1_700_000_000_000, counter: 3, writer: '12D3KooWwriter' }

async function liveRef (key: string): Promise<RefRecord> {
  return { bucket: 'photos', key, manifest: (await chunkCid(new TextEncoder().encode(key))).toString(), size: 7, etag: '"abc"', version, deleted: false }
}

describe('ref protocol: records, messages, frames', () => {
  it('stores both kinds of record under their location', async () => {
    const ref = await liveRef('cat.jpg')
    const bucket: BucketRecord = { name: 'photos', policy: { replicas: 3, spread: 'host', allowedZones: ['eu'], chunkSize: 4 << 20 }, version, deleted: false }
    assert.deepEqual(decodeStoredRecord(encodeStoredRecord(ref)), ref)
    assert.deepEqual(decodeStoredRecord(encodeStoredRecord(bucket)), bucket)
    assert.equal(isBucketRecord(bucket), true)
    assert.equal(isBucketRecord(ref), false)
    assert.deepEqual(recordLocation(bucket), { bucket: BUCKETS_NAMESPACE, key: 'photos' })
    assert.deepEqual(recordLocation(ref), { bucket: 'photos', key: 'cat.jpg' })
    assert.throws(() => decodeStoredRecord(Uint8Array.of(0x57, 0x52, 1, 9)), { code: 'ERR_INVALID_REF_RECORD' })
    assert.throws(() => decodeStoredRecord(new Uint8Array(0)), { code: 'ERR_INVALID_REF_RECORD' })
  })

  it('orders keys by UTF-8 bytes, not UTF-16 units', () => {
    const keys = ['b', 'a', '\uE000', '😀', 'ab', 'é', '\uFFFF', 'a/']
    const bytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    assert.deepEqual([...keys].sort(compareKeys), bytes)
    assert.ok(compareKeys('\uE000', '😀') < 0, 'U+E000 before U+1F600')
    assert.ok('\uE000' > '😀', 'where JavaScript says otherwise')
  })

  it('round-trips every message and checks bounds', async () => {
    assert.deepEqual(decodeRefGetRequest(encodeRefGetRequest({ bucket: 'photos', key: 'a/b' })), { bucket: 'photos', key: 'a/b' })
    assert.deepEqual(decodeRefGetRequest(encodeRefGetRequest({ bucket: BUCKETS_NAMESPACE, key: 'photos' })), { bucket: BUCKETS_NAMESPACE, key: 'photos' })
    assert.throws(() => encodeRefGetRequest({ bucket: 'NO', key: 'k' }), { code: 'ERR_INVALID_REF_REQUEST' })
    const list = { bucket: 'photos', prefix: '2024/', startAfter: '2024/05', limit: 1000 }
    assert.deepEqual(decodeRefListRequest(encodeRefListRequest(list)), list)
    assert.deepEqual(decodeRefListRequest(encodeRefListRequest({ bucket: 'photos', prefix: '', limit: 1 })), { bucket: 'photos', prefix: '', limit: 1 })
    assert.throws(() => encodeRefListRequest({ bucket: 'photos', prefix: '', limit: MAX_LIST_LIMIT + 1 }), { code: 'ERR_INVALID_REF_REQUEST' })
    assert.throws(() => encodeRefListRequest({ bucket: 'photos', prefix: 'a\u0001', limit: 10 }), { code: 'ERR_INVALID_REF_REQUEST' })
    assert.throws(() => decodeRefListRequest(Uint8Array.of(6, 0x70, 0x68, 0x6f, 0x74, 0x6f, 0x73, 0, 0, 0)), { code: 'ERR_INVALID_REF_REQUEST' }, 'limit 0')
    const part = { partition: 4_194_303, startAfter: { bucket: 'photos', key: 'x' }, limit: 5 }
    assert.deepEqual(decodeRefPartitionRequest(encodeRefPartitionRequest(part)), part)
    const put = { status: 'older' as const, current: version }
    assert.deepEqual(decodeRefPutAnswer(encodeRefPutAnswer(put)), put)
    const rec = encodeStoredRecord(await liveRef('k'))
    assert.deepEqual(decodeRefGetAnswer(encodeRefGetAnswer(rec)), rec)
    assert.equal(decodeRefGetAnswer(encodeRefGetAnswer(undefined)), undefined)
    assert.throws(() => decodeRefGetAnswer(Uint8Array.of(2)), { code: 'ERR_INVALID_REF_REQUEST' })
    const answer = { records: [rec, rec], more: true }
    assert.deepEqual(decodeRefListAnswer(encodeRefListAnswer(answer)), answer)
    // a count above the limit is refused before anything is read
    assert.throws(() => decodeRefListAnswer(Uint8Array.of(0, 0xe9, 0x07)), { code: 'ERR_INVALID_REF_REQUEST' })
    // a record length above the largest record is refused
    assert.throws(() => decodeRefListAnswer(Uint8Array.of(0, 1, 0x80, 0x80, 0x02)), { code: 'ERR_INVALID_REF_REQUEST' })
    const long = 'é'.repeat(2000)
    const err = decodeRefErrorAnswer(encodeRefErrorAnswer({ code: 'ERR_X', message: long }))
    assert.equal(err.code, 'ERR_X')
    assert.ok(Buffer.byteLength(err.message) <= 1024)
  })

  it('decodes frames split anywhere, and refuses oversized or garbage ones', () => {
    const frames = [
      encodeRefFrame(RefFrameType.GET, 1, encodeRefGetRequest({ bucket: 'photos', key: 'a' })),
      encodeRefFrame(RefFrameType.PUT, 300, new Uint8Array(5000).fill(7)),
      encodeRefFrame(RefFrameType.ERROR, 0, encodeRefErrorAnswer({ code: 'ERR_Y', message: 'm' }))
    ]
    const all = Buffer.concat(frames)
    for (const step of [1, 2, 3, 7, 100, all.length]) {
      const d = new RefFrameDecoder(MAX_REF_REQUEST_BYTES)
      for (let i = 0; i < all.length; i += step) d.push(all.subarray(i, i + step))
      const got = d.take()
      assert.deepEqual(got.map(f => [f.type, f.requestId, f.body.length]), [[RefFrameType.GET, 1, 9], [RefFrameType.PUT, 300, 5000], [RefFrameType.ERROR, 0, 8]])
      assert.equal(d.partial, false)
    }
    const d = new RefFrameDecoder(1024)
    assert.throws(() => { d.push(Uint8Array.of(0x81, 0x08)) }, { code: 'ERR_FRAME_TOO_LARGE' })
    assert.throws(() => { new RefFrameDecoder(1024).push(Uint8Array.of(0x02, 0x42, 0x01)) }, { code: 'ERR_PROTOCOL' })
    assert.throws(() => { new RefFrameDecoder(1024).push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01)) }, { code: 'ERR_PROTOCOL' })
    assert.throws(() => { new RefFrameDecoder(1024).push(Uint8Array.of(0x01, 0x01)) }, { code: 'ERR_PROTOCOL' })
    const partial = new RefFrameDecoder(1024)
    partial.push(Uint8Array.of(10, RefFrameType.GET))
    assert.equal(partial.partial, true)
  })
})
