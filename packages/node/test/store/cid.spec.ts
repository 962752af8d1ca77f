import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PARTITION_BITS, partitionOfDigest } from '@weft/placement'
import { chunkIdFromKey, parseChunkFileName, partitionKeyRange, toChunkId } from '../../src/store/cid.js'
import { chunk } from './fixtures.js'

function inRange (key: string, range: { gte: string, lt?: string }): boolean {
  return key >= range.gte && (range.lt == null || key < range.lt)
}

describe('chunk store: ids and partition ranges', () => {
  it('partition key ranges tile the key space in order', () => {
    const bits = 3
    const ranges = Array.from({ length: 2 ** bits }, (_, p) => partitionKeyRange(p, bits))
    assert.equal(ranges[0]?.gte, '0'.repeat(64))
    assert.equal(ranges[7]?.lt, undefined)
    for (let p = 0; p < 7; p++) {
      assert.equal(ranges[p]?.lt, ranges[p + 1]?.gte)
    }
    assert.equal(ranges[1]?.gte, '2' + '0'.repeat(63))
  })

  it('every digest falls in the range of its placement partition and no other', () => {
    for (let i = 0; i < 2000; i++) {
      const digest = randomBytes(32)
      // include the edges of the digest space
      if (i === 0) digest.fill(0)
      if (i === 1) digest.fill(0xff)
      const key = digest.toString('hex')
      const p = partitionOfDigest(digest)
      assert.ok(inRange(key, partitionKeyRange(p, PARTITION_BITS)))
      if (p > 0) assert.ok(!inRange(key, partitionKeyRange(p - 1, PARTITION_BITS)))
      if (p + 1 < 2 ** PARTITION_BITS) assert.ok(!inRange(key, partitionKeyRange(p + 1, PARTITION_BITS)))
    }
  })

  it('maps a chunk id to its key and back, and parses file names', async () => {
    const { cid } = await chunk(10)
    const id = toChunkId(cid)
    assert.equal(id.key, Buffer.from(cid.multihash.digest).toString('hex'))
    assert.ok(chunkIdFromKey(id.key).cid.equals(cid))
    assert.equal(parseChunkFileName(cid.toString())?.key, id.key)
    assert.equal(parseChunkFileName('README'), undefined)
    assert.throws(() => chunkIdFromKey('abc'), { code: 'ERR_INVALID_CID' })
  })
})
