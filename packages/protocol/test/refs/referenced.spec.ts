import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { chunkCidSync } from '../../src/model/cid.js'
import { ByteWriter } from '../../src/model/codec.js'
import { MAX_REF_REQUEST_BYTES, MAX_REFERENCED_BATCH } from '../../src/refs/constants.js'
import { RefFrameDecoder, RefFrameType, encodeRefFrame, isRefRequestType } from '../../src/refs/frame.js'
import {
  decodeRefReferencedAnswer, decodeRefReferencedRequest, encodeRefReferencedAnswer, encodeRefReferencedRequest
} from '../../src/refs/messages.js'

function cids (n: number, seed = 0): CID[] {
  return Array.from({ length: n }, (_, i) => chunkCidSync(new TextEncoder().encode(`chunk ${seed}/${i}`)))
}

describe('ref protocol: REFERENCED (garbage collection)', () => {
  it('round-trips a batch of chunk ids, up to MAX_REFERENCED_BATCH, in one request frame', () => {
    for (const n of [1, 7, 8, 9, MAX_REFERENCED_BATCH]) {
      const asked = cids(n, n)
      const body = encodeRefReferencedRequest(asked)
      assert.deepEqual(decodeRefReferencedRequest(body).map(c => c.toString()), asked.map(c => c.toString()))
      // a full batch fits what a server reads
      const frame = encodeRefFrame(RefFrameType.REFERENCED, 1, body)
      const decoder = new RefFrameDecoder(MAX_REF_REQUEST_BYTES)
      decoder.push(frame)
      assert.equal(decoder.take()[0]?.type, RefFrameType.REFERENCED)
    }
    assert.equal(isRefRequestType(RefFrameType.REFERENCED), true)
    assert.equal(isRefRequestType(RefFrameType.REFERENCED_OK), false)
  })

  it('refuses oversized and empty batches both ways, and ids that are not chunk ids', async () => {
    assert.throws(() => encodeRefReferencedRequest(cids(MAX_REFERENCED_BATCH + 1)), { code: 'ERR_BATCH_TOO_LARGE' })
    assert.throws(() => encodeRefReferencedRequest([]), { code: 'ERR_INVALID_REF_REQUEST' })
    // a peer announcing one id too many is refused on the count, before the digests are read
    const over = new ByteWriter().varint(MAX_REFERENCED_BATCH + 1).bytes(new Uint8Array(64)).finish()
    assert.throws(() => decodeRefReferencedRequest(over), { code: 'ERR_BATCH_TOO_LARGE' })
    const huge = new ByteWriter().varint(2 ** 40).finish()
    assert.throws(() => decodeRefReferencedRequest(huge), { code: 'ERR_BATCH_TOO_LARGE' })
    const truncated = encodeRefReferencedRequest(cids(3)).subarray(0, 50)
    assert.throws(() => decodeRefReferencedRequest(truncated), { code: 'ERR_INVALID_REF_REQUEST' })
    const trailing = new Uint8Array([...encodeRefReferencedRequest(cids(2)), 0])
    assert.throws(() => decodeRefReferencedRequest(trailing), { code: 'ERR_INVALID_REF_REQUEST' })
    const cbor = CID.createV1(0x71, await sha256.digest(new Uint8Array(1)))
    assert.notEqual(cbor.code, raw.code)
    assert.throws(() => encodeRefReferencedRequest([cbor]), { code: 'ERR_INVALID_REF_REQUEST' })
  })

  it('answers with a bitmap in the order asked, and checks it against the question', () => {
    for (const n of [1, 8, 9, 17, MAX_REFERENCED_BATCH]) {
      const referenced = Array.from({ length: n }, (_, i) => i % 3 === 0 || i === n - 1)
      for (const complete of [true, false]) {
        const body = encodeRefReferencedAnswer({ referenced, complete })
        assert.equal(body.byteLength, 1 + (n < 128 ? 1 : 2) + Math.ceil(n / 8))
        assert.deepEqual(decodeRefReferencedAnswer(body, n), { referenced, complete })
      }
    }
    const body = encodeRefReferencedAnswer({ referenced: [true, false, true], complete: true })
    assert.throws(() => decodeRefReferencedAnswer(body, 4), { code: 'ERR_INVALID_REF_REQUEST' }, 'an answer about another number of ids')
    const stray = Uint8Array.from(body)
    stray[2] = (stray[2] as number) | 0x80
    assert.throws(() => decodeRefReferencedAnswer(stray, 3), { code: 'ERR_INVALID_REF_REQUEST' }, 'bits set past the last id')
    const flags = Uint8Array.from(body)
    flags[0] = 2
    assert.throws(() => decodeRefReferencedAnswer(flags, 3), { code: 'ERR_INVALID_REF_REQUEST' })
    assert.throws(() => encodeRefReferencedAnswer({ referenced: new Array<boolean>(MAX_REFERENCED_BATCH + 1).fill(false), complete: true }), { code: 'ERR_BATCH_TOO_LARGE' })
  })
})
