import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { blockHash, chunkEntry, hashBlocks, planBlockRead, verifyBlock, verifyBlockRead } from '../../src/model/blocks.js'
import { asChunkCid, chunkCid, chunkCidSync, isChunkCid, verifyChunk } from '../../src/model/cid.js'
import { HashMismatchError, InvalidRangeError } from '../../src/model/errors.js'
import { prng, randomBytes, randomInt } from './helpers.js'

describe('model/cid and model/blocks', () => {
  it('chunk ids are CIDv1 raw sha2-256, the same as multiformats computes', async () => {
    const bytes = randomBytes(prng(1), 5000)
    const expected = CID.createV1(raw.code, await sha256.digest(bytes))
    assert.ok(chunkCidSync(bytes).equals(expected))
    assert.ok((await chunkCid(bytes)).equals(expected))
    assert.ok(expected.toString().startsWith('bafkrei'))
    assert.ok(isChunkCid(expected))
    assert.ok(asChunkCid(expected.toString())?.equals(expected))
    assert.equal(asChunkCid('not a cid'), undefined)
    assert.equal(asChunkCid(CID.createV0(expected.multihash).toString()), undefined)
    verifyChunk(expected, bytes)
    const flipped = bytes.slice()
    flipped[1234]! ^= 1
    assert.throws(() => { verifyChunk(expected, flipped) }, (err: unknown) => err instanceof HashMismatchError && err.code === 'ERR_HASH_MISMATCH')
  })

  it('a single-block chunk stores no block hashes; its block hash is the chunk digest', () => {
    const chunk = randomBytes(prng(2), 1000)
    const entry = chunkEntry(chunk, 1024)
    assert.equal(entry.blockHashes.length, 0)
    assert.deepEqual(blockHash(entry, 0), entry.cid.multihash.digest)
    const plan = planBlockRead(entry, 1024, 100, 200)
    assert.equal(plan.fetchStart, 0)
    assert.equal(plan.fetchEnd, 1000)
    assert.deepEqual(verifyBlockRead(plan, chunk), chunk.subarray(100, 200))
  })

  it('a 4 MiB chunk at 256 KiB blocks carries 16 hashes (512 bytes)', () => {
    const chunk = new Uint8Array(4 * 1024 * 1024).fill(7)
    assert.equal(hashBlocks(chunk, 256 * 1024).length, 512)
  })

  it('plans block-aligned fetches and serves exactly the asked bytes, over random ranges', () => {
    const rand = prng(3)
    const blockSize = 1024
    for (let round = 0; round < 30; round++) {
      const chunk = randomBytes(rand, randomInt(rand, 1, 9000))
      const entry = chunkEntry(chunk, blockSize)
      for (let i = 0; i < 40; i++) {
        const start = randomInt(rand, 0, chunk.length - 1)
        const end = randomInt(rand, start + 1, chunk.length)
        const plan = planBlockRead(entry, blockSize, start, end)
        if (entry.blockHashes.length > 0) {
          assert.equal(plan.fetchStart % blockSize, 0)
          assert.ok(plan.fetchEnd % blockSize === 0 || plan.fetchEnd === chunk.length)
          assert.ok(plan.fetchStart <= start && plan.fetchEnd >= end)
          assert.ok(start - plan.fetchStart < blockSize && plan.fetchEnd - end < blockSize)
          assert.equal(plan.hashes.length, Math.ceil((plan.fetchEnd - plan.fetchStart) / blockSize))
        }
        const got = verifyBlockRead(plan, chunk.subarray(plan.fetchStart, plan.fetchEnd))
        assert.deepEqual(got, chunk.subarray(start, end))
      }
    }
  })

  it('catches a flipped byte in any fetched block, and a short read', () => {
    const rand = prng(4)
    const chunk = randomBytes(rand, 10_000)
    const entry = chunkEntry(chunk, 1024)
    const plan = planBlockRead(entry, 1024, 1500, 7000)
    const fetched = chunk.slice(plan.fetchStart, plan.fetchEnd)
    for (let i = 0; i < 50; i++) {
      const bad = fetched.slice()
      const at = randomInt(rand, 0, bad.length - 1)
      bad[at]! ^= 1 << randomInt(rand, 0, 7)
      assert.throws(() => verifyBlockRead(plan, bad), (err: unknown) => err instanceof HashMismatchError && err.message.includes(`block ${plan.firstBlock + Math.floor(at / 1024)} `))
    }
    assert.throws(() => verifyBlockRead(plan, fetched.subarray(1)), HashMismatchError)
    assert.throws(() => { verifyBlock(fetched.subarray(0, 1024), blockHash(entry, 2)) }, HashMismatchError)
    verifyBlock(fetched.subarray(0, 1024), blockHash(entry, 1))
  })

  it('rejects ranges outside the chunk with ERR_INVALID_RANGE', () => {
    const entry = chunkEntry(new Uint8Array(3000), 1024)
    for (const [s, e] of [[-1, 5], [0, 0], [5, 4], [0, 3001], [0.5, 2]]) {
      assert.throws(() => planBlockRead(entry, 1024, s!, e!), (err: unknown) => err instanceof InvalidRangeError && err.code === 'ERR_INVALID_RANGE')
    }
  })
})
