import assert from 'node:assert/strict'
import { base58btc } from 'multiformats/bases/base58'
import { chunkCidSync } from '../../src/model/cid.js'
import { InvalidBucketNameError, InvalidKeyError, InvalidRefRecordError } from '../../src/model/errors.js'
import { decodeRefRecord, encodeRefRecord, isCollectableTombstone, newerRef, tombstone } from '../../src/model/ref-record.js'
import { mutate, prng, randomBytes, randomInt } from './helpers.js'
import type { RefRecord } from '../../src/model/ref-record.js'

const writer = '12D3KooWRefWriter'
const manifest = chunkCidSync(new TextEncoder().encode('a manifest')).toString()

const live: RefRecord = {
  bucket: 'datasets',
  key: 'imagenet/train/shard-00001.tfrecord',
  manifest,
  size: 146_600_628,
  etag: '0123456789abcdef0123456789abcdef-35',
  contentType: 'application/x-tfrecord',
  version: { wallMs: 1_700_000_000_000, counter: 2, writer },
  deleted: false
}

function isRefError (err: unknown): boolean {
  return err instanceof InvalidRefRecordError && err.code === 'ERR_INVALID_REF_RECORD'
}

describe('model/ref-record', () => {
  it('round-trips live refs (with and without content type) and tombstones', () => {
    const { contentType: _, ...noType } = live
    const dead = tombstone('datasets', 'gone/ünï 😀', { wallMs: 1_700_000_000_001, counter: 0, writer })
    for (const ref of [live, noType, dead, { ...live, size: 0 }, { ...live, key: 'k'.repeat(1024) }]) {
      assert.deepEqual(decodeRefRecord(encodeRefRecord(ref)), ref)
    }
    assert.ok(encodeRefRecord(live).length < 256)
  })

  it('normalises the manifest CID to its base32 string', () => {
    const cid = chunkCidSync(new Uint8Array([1, 2, 3]))
    const ref = { ...live, manifest: cid.toString(base58btc) }
    assert.ok(ref.manifest.startsWith('z'))
    assert.equal(decodeRefRecord(encodeRefRecord(ref)).manifest, cid.toString())
  })

  it('refuses inconsistent refs on encode', () => {
    assert.throws(() => encodeRefRecord({ ...live, bucket: 'Bad_Bucket' }), InvalidBucketNameError)
    assert.throws(() => encodeRefRecord({ ...live, key: '' }), InvalidKeyError)
    assert.throws(() => encodeRefRecord({ ...live, manifest: undefined }), isRefError)
    assert.throws(() => encodeRefRecord({ ...live, manifest: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG' }), isRefError)
    assert.throws(() => encodeRefRecord({ ...live, size: -1 }), isRefError)
    assert.throws(() => encodeRefRecord({ ...live, etag: '' }), isRefError)
    assert.throws(() => encodeRefRecord({ ...live, contentType: '' }), isRefError)
    assert.throws(() => encodeRefRecord({ ...live, deleted: true }), isRefError)
    assert.throws(() => encodeRefRecord({ ...live, bucket: '.buckets' }), InvalidBucketNameError)
  })

  it('newerRef picks the greater version; a later tombstone beats the put, an earlier one does not', () => {
    const later = tombstone(live.bucket, live.key, { ...live.version, counter: 3 })
    const earlier = tombstone(live.bucket, live.key, { ...live.version, counter: 1 })
    assert.equal(newerRef(live, later), later)
    assert.equal(newerRef(later, live), later)
    assert.equal(newerRef(live, earlier), live)
    assert.equal(newerRef(earlier, live), live)
    const otherWriter = { ...live, version: { ...live.version, writer: '12D3KooWZZZ' } }
    assert.equal(newerRef(live, otherWriter), otherWriter, 'equal wall and counter: the writer id decides')
    assert.equal(newerRef(live, { ...live }), live)
  })

  it('collects tombstones only after the grace period', () => {
    const dead = tombstone('b12', 'k', { wallMs: 1000, counter: 0, writer })
    assert.equal(isCollectableTombstone(dead, 1000 + 500, 1000), false)
    assert.equal(isCollectableTombstone(dead, 2000, 1000), true)
    assert.equal(isCollectableTombstone(live, 10 ** 15, 0), false)
    assert.equal(isCollectableTombstone(dead, 1000 + 24 * 3600 * 1000 - 1), false)
  })

  it('rejects malformed bytes with ERR_INVALID_REF_RECORD', () => {
    const good = encodeRefRecord(live)
    for (const bytes of [new Uint8Array(0), good.subarray(0, good.length - 1), Uint8Array.from([...good, 0]), new Uint8Array(5000), Uint8Array.from([0x57, 0x52, 1, 2, ...good.subarray(4)]), Uint8Array.from([0x57, 0x52, 1, 1, 0x04, ...good.subarray(5)])]) {
      assert.throws(() => decodeRefRecord(bytes), isRefError)
    }
  })

  it('fuzz: random mutations only ever throw ERR_INVALID_REF_RECORD', () => {
    const rand = prng(3)
    const samples = [encodeRefRecord(live), encodeRefRecord(tombstone('abc', 'k', live.version))]
    let accepted = 0
    for (let i = 0; i < 3000; i++) {
      const bytes = rand() < 0.05 ? randomBytes(rand, randomInt(rand, 0, 300)) : mutate(rand, samples[i % 2]!)
      try {
        const ref = decodeRefRecord(bytes)
        assert.deepEqual(encodeRefRecord(ref), bytes, 'accepted bytes are canonical')
        accepted++
      } catch (err) {
        if (!isRefError(err)) throw err
      }
    }
    assert.ok(accepted < 3000)
  })
})

