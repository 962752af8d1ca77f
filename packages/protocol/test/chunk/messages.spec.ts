import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { MAX_CHUNK_SIZE, MAX_FORWARD, MAX_HAS_BATCH } from '../../src/chunk/constants.js'
import {
  decodeCidRequest, decodeDeleteResult, decodeError, decodeGetHead, decodeGetRequest, decodeHasRequest,
  decodeHasResult, decodePutRequest, decodePutResult, decodeStatResult, encodeCidRequest, encodeDeleteResult,
  encodeError, encodeGetHead, encodeGetRequest, encodeHasRequest, encodeHasResult, encodePutRequest,
  encodePutResult, encodeStatResult
} from '../../src/chunk/messages.js'
import { MetaWriter } from '../../src/chunk/meta.js'
import { bytesOf, cidOf, makePeer } from './fixtures.js'

describe('chunk messages', () => {
  it('round-trips a put with a forward list and addresses', async () => {
    const cid = await cidOf(bytesOf(10))
    const [b, c] = [await makePeer(), await makePeer()]
    const addr = multiaddr('/ip4/10.0.0.2/tcp/4001')
    const decoded = decodePutRequest(encodePutRequest({ cid, size: 4 * 1024 * 1024, forward: [{ peer: b, addrs: [addr] }, { peer: c }] }))
    assert.ok(decoded.cid.equals(cid))
    assert.equal(decoded.size, 4 * 1024 * 1024)
    assert.equal(decoded.forward.length, 2)
    assert.ok(decoded.forward[0]!.peer.equals(b))
    assert.equal(decoded.forward[0]!.addrs?.[0]?.toString(), addr.toString())
    assert.ok(decoded.forward[1]!.peer.equals(c))
    assert.equal(decoded.forward[1]!.addrs, undefined)
  })

  it('round-trips get, has, stat, delete and their answers', async () => {
    const cids = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9].map(async i => cidOf(bytesOf(4, i))))
    const get = decodeGetRequest(encodeGetRequest({ cid: cids[0]!, offset: 5, length: 10 }))
    assert.deepEqual([get.offset, get.length], [5, 10])
    assert.equal(decodeGetRequest(encodeGetRequest({ cid: cids[0]!, offset: 0 })).length, undefined)
    assert.deepEqual(decodeGetHead(encodeGetHead({ size: 100, offset: 5, length: 10 })), { size: 100, offset: 5, length: 10 })

    const { meta, payload } = encodeHasRequest(cids)
    assert.deepEqual(decodeHasRequest(meta, payload).map(c => c.toString()), cids.map(c => c.toString()))
    const found = cids.map((_, i) => i % 3 === 0)
    assert.deepEqual(decodeHasResult(encodeHasResult(found)), found)

    assert.ok(decodeCidRequest(encodeCidRequest(cids[1]!)).equals(cids[1]))
    assert.equal(decodeStatResult(encodeStatResult(undefined)), undefined)
    assert.deepEqual(decodeStatResult(encodeStatResult({ size: 7, partition: 65535, storedAt: 1700000000123 })), { size: 7, partition: 65535, storedAt: 1700000000123 })
    assert.equal(decodeDeleteResult(encodeDeleteResult(true)), true)
    assert.deepEqual(decodeError(encodeError({ code: 'ERR_X', message: 'why' })), { code: 'ERR_X', message: 'why' })
  })

  it('round-trips a put result', async () => {
    const [a, b, c] = [await makePeer(), await makePeer(), await makePeer()]
    const result = decodePutResult(encodePutResult({
      stored: [{ peer: a, existed: false }, { peer: b, existed: true }],
      failed: [{ peer: c, code: 'ERR_STORE_FULL', message: 'x'.repeat(10_000) }]
    }))
    assert.ok(result.stored[0]!.peer.equals(a))
    assert.equal(result.stored[1]!.existed, true)
    assert.equal(result.failed[0]!.code, 'ERR_STORE_FULL')
    assert.ok(result.failed[0]!.message.length <= 256, 'long messages are cut to their bound')
  })

  it('refuses sizes, batches and lists beyond the limits, both ways', async () => {
    const cid = await cidOf(bytesOf(1))
    const peers = await Promise.all(Array.from({ length: MAX_FORWARD + 1 }, makePeer))
    assert.throws(() => encodePutRequest({ cid, size: MAX_CHUNK_SIZE + 1, forward: [] }), { code: 'ERR_CHUNK_TOO_LARGE' })
    assert.throws(() => encodePutRequest({ cid, size: 1, forward: peers.map(peer => ({ peer })) }), { code: 'ERR_BATCH_TOO_LARGE' })
    assert.throws(() => encodeHasRequest(Array.from({ length: MAX_HAS_BATCH + 1 }, () => cid)), { code: 'ERR_BATCH_TOO_LARGE' })

    // hand-built metas that claim what an honest encoder never would
    const huge = new MetaWriter().bytes8(cid.bytes).u32(0xFFFFFFFF).u8(0).finish()
    assert.throws(() => decodePutRequest(huge), { code: 'ERR_CHUNK_TOO_LARGE' })
    const longList = new MetaWriter().bytes8(cid.bytes).u32(1).u8(200).finish()
    assert.throws(() => decodePutRequest(longList), { code: 'ERR_BATCH_TOO_LARGE' })
    assert.throws(() => decodeHasRequest(new MetaWriter().u16(60_000).finish(), new Uint8Array(0)), { code: 'ERR_BATCH_TOO_LARGE' })
    assert.throws(() => decodeGetRequest(new MetaWriter().bytes8(cid.bytes).u32(MAX_CHUNK_SIZE + 1).u32(1).finish()), { code: 'ERR_INVALID_RANGE' })
  })

  it('turns malformed metas into typed errors', async () => {
    const cid = await cidOf(bytesOf(1))
    const good = encodePutRequest({ cid, size: 1, forward: [] })
    assert.throws(() => decodePutRequest(good.subarray(0, good.byteLength - 1)), { code: 'ERR_PROTOCOL' })
    assert.throws(() => decodePutRequest(Buffer.concat([good, Uint8Array.of(0)])), { code: 'ERR_PROTOCOL' })
    assert.throws(() => decodeCidRequest(new MetaWriter().bytes8(Uint8Array.of(1, 2, 3)).finish()), { code: 'ERR_INVALID_CID' })
    const badPeer = new MetaWriter().bytes8(cid.bytes).u32(1).u8(1).bytes8(Uint8Array.of(0xFF, 0xFF)).u8(0).finish()
    assert.throws(() => decodePutRequest(badPeer), { code: 'ERR_PROTOCOL' })
    // a has count that promises more ids than the payload holds
    const { payload } = encodeHasRequest([cid])
    assert.throws(() => decodeHasRequest(new MetaWriter().u16(2).finish(), payload), { code: 'ERR_PROTOCOL' })
    // a CID string is not CID bytes
    assert.throws(() => decodeCidRequest(new MetaWriter().bytes8(new TextEncoder().encode(cid.toString())).finish()), { code: 'ERR_INVALID_CID' })
    assert.ok(CID.asCID(cid) != null)
  })
})
