import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { PARTITION_BITS, PARTITION_COUNT, partitionOfDigest, partitionOfRef } from '../src/index.js'
import type { InvalidArgumentError } from '../src/index.js'

describe('partitions', () => {
  it('is a power of two with PARTITION_BITS bits', () => {
    assert.equal(PARTITION_COUNT, 2 ** PARTITION_BITS)
  })

  it('takes the top PARTITION_BITS bits of a chunk digest', () => {
    const d = new Uint8Array(32)
    assert.equal(partitionOfDigest(d), 0)
    d.fill(0xff)
    assert.equal(partitionOfDigest(d), PARTITION_COUNT - 1)
    d.fill(0)
    d[0] = 0x80
    assert.equal(partitionOfDigest(d), PARTITION_COUNT / 2)
    // only the top bits count: the rest of the digest is ignored
    const e = createHash('sha256').update('chunk').digest()
    const f = Uint8Array.from(e)
    f.fill(0x5a, 4)
    assert.equal(partitionOfDigest(e), partitionOfDigest(f))
    const big = BigInt('0x' + e.toString('hex'))
    assert.equal(partitionOfDigest(e), Number(big >> BigInt(256 - PARTITION_BITS)))
  })

  it('rejects anything but a 32-byte digest (e.g. a whole multihash with its 0x12 0x20 prefix)', () => {
    for (const bad of [new Uint8Array(34), new Uint8Array(31), new Uint8Array(0), 'abc' as unknown as Uint8Array]) {
      assert.throws(() => partitionOfDigest(bad), (err: InvalidArgumentError) => err.code === 'ERR_INVALID_ARGUMENT')
    }
  })

  it('places a ref by sha256("ref\\0" + bucket + "\\0" + key), so bucket and key cannot run together', () => {
    const expected = partitionOfDigest(createHash('sha256').update(Buffer.from('ref\0photos\0cat.jpg', 'utf8')).digest())
    assert.equal(partitionOfRef('photos', 'cat.jpg'), expected)
    // the NUL separator keeps ab/c and a/bc apart (both are pinned by the vectors too)
    assert.notEqual(partitionOfRef('ab', 'c'), partitionOfRef('a', 'bc'))
    assert.equal(partitionOfRef('b', 'ü'), partitionOfDigest(createHash('sha256').update(Buffer.from('ref\0b\0\u00fc', 'utf8')).digest()))
  })

  it('spreads random chunks evenly over partitions', () => {
    const buckets = new Uint32Array(64)
    const n = 64_000
    for (let i = 0; i < n; i++) {
      buckets[Math.floor(partitionOfDigest(createHash('sha256').update(String(i)).digest()) / (PARTITION_COUNT / 64))]!++
    }
    for (const b of buckets) assert.ok(Math.abs(b - 1000) < 5 * Math.sqrt(1000), `bucket holds ${b}`)
  })
})
