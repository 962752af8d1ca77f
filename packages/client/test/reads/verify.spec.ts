import assert from 'node:assert/strict'
import { chunkEntry, planBlockRead, verifyBlockRead } from '@weft/protocol'
import { BlockVerifier, sliceParts } from '../../src/reads/verify.js'
import { concat, randomBytes } from './memory-chunks.js'

const BLOCK = 1024

/** `bytes` cut into pieces of pseudo-random sizes (1..3 blocks), so pieces straddle block boundaries. */
function cut (bytes: Uint8Array, seed: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let x = seed
  for (let at = 0; at < bytes.byteLength;) {
    x = (x * 1103515245 + 12345) >>> 0
    const n = 1 + (x % (3 * BLOCK))
    out.push(bytes.subarray(at, at + n))
    at += n
  }
  return out
}

describe('reads/verify: block verification over streamed pieces', () => {
  const chunk = randomBytes(10 * BLOCK + 123, 7)
  const entry = chunkEntry(chunk, BLOCK)

  it('returns exactly the asked-for bytes for ranges across block boundaries, whatever the piece boundaries', () => {
    const ranges: Array<[number, number]> = [[0, 1], [0, chunk.length], [BLOCK - 1, BLOCK + 1], [5, 3 * BLOCK + 17], [10 * BLOCK, chunk.length], [chunk.length - 1, chunk.length]]
    for (const [start, end] of ranges) {
      const plan = planBlockRead(entry, BLOCK, start, end)
      const fetched = chunk.subarray(plan.fetchStart, plan.fetchEnd)
      for (const seed of [1, 2, 3]) {
        const v = new BlockVerifier(plan)
        for (const piece of cut(fetched, seed)) v.update(piece)
        const got = concat(v.finish())
        assert.deepEqual(got, Buffer.from(chunk.subarray(start, end)), `range [${start}, ${end})`)
        // the same answer as the contiguous verifier of @weft/protocol
        assert.deepEqual(got, Buffer.from(verifyBlockRead(plan, Uint8Array.from(fetched))))
      }
    }
  })

  it('rejects a flipped byte in any block, too many bytes and too few', () => {
    const plan = planBlockRead(entry, BLOCK, 100, 4 * BLOCK)
    const fetched = Uint8Array.from(chunk.subarray(plan.fetchStart, plan.fetchEnd))
    for (const at of [0, BLOCK, 3 * BLOCK + 5, fetched.length - 1]) {
      const bad = Uint8Array.from(fetched)
      bad[at] = (bad[at] ?? 0) ^ 1
      const v = new BlockVerifier(plan)
      assert.throws(() => { for (const p of cut(bad, 9)) v.update(p) }, { code: 'ERR_HASH_MISMATCH' })
    }
    const long = new BlockVerifier(plan)
    assert.throws(() => { long.update(new Uint8Array(fetched.length + 1)) }, { code: 'ERR_HASH_MISMATCH' })
    const short = new BlockVerifier(plan)
    short.update(fetched.subarray(0, 2 * BLOCK))
    assert.throws(() => short.finish(), { code: 'ERR_HASH_MISMATCH' })
  })

  it('a single-block chunk is checked against its id', () => {
    const small = randomBytes(700, 3)
    const e = chunkEntry(small, BLOCK)
    const plan = planBlockRead(e, BLOCK, 10, 20)
    const v = new BlockVerifier(plan)
    v.update(small)
    assert.deepEqual(concat(v.finish()), Buffer.from(small.subarray(10, 20)))
    const bad = Uint8Array.from(small)
    bad[699] = (bad[699] ?? 0) ^ 1
    assert.throws(() => { new BlockVerifier(plan).update(bad) }, { code: 'ERR_HASH_MISMATCH' })
  })

  it('sliceParts returns views, not copies', () => {
    const a = new Uint8Array([1, 2, 3])
    const b = new Uint8Array([4, 5, 6])
    const s = sliceParts([a, b], 2, 5)
    assert.deepEqual(s.map(p => [...p]), [[3], [4, 5]])
    assert.equal(s[0]?.buffer, a.buffer)
  })
})
