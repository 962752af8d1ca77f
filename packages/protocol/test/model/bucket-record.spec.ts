import assert from 'node:assert/strict'
import {
  bucketRecordLocation, decodeBucketRecord, DEFAULT_BUCKET_POLICY, encodeBucketRecord, resolveBucketPolicy
} from '../../src/model/bucket-record.js'
import { BUCKETS_NAMESPACE, MAX_CHUNK_SIZE } from '../../src/model/constants.js'
import { InvalidBucketNameError, InvalidBucketPolicyError, InvalidBucketRecordError } from '../../src/model/errors.js'
import { newerRef } from '../../src/model/ref-record.js'
import { decodeRefRecord } from '../../src/model/ref-record.js'
import { mutate, prng } from './helpers.js'
import type { BucketPolicy, BucketRecord } from '../../src/model/bucket-record.js'

const version = { wallMs: 1_700_000_000_000, counter: 0, writer: '12D3KooWAdmin' }

function isPolicyError (err: unknown): boolean {
  return err instanceof InvalidBucketPolicyError && err.code === 'ERR_INVALID_BUCKET_POLICY'
}

function isRecordError (err: unknown): boolean {
  return err instanceof InvalidBucketRecordError && err.code === 'ERR_INVALID_BUCKET_RECORD'
}

describe('model/bucket-record', () => {
  it('defaults: 3 replicas spread over hosts, anywhere, 4 MiB chunks', () => {
    assert.deepEqual(resolveBucketPolicy(), { replicas: 3, spread: 'host', allowedZones: [], chunkSize: 4 * 1024 * 1024 })
    assert.deepEqual(resolveBucketPolicy({ replicas: 2, allowedZones: ['eu/'] }), { ...DEFAULT_BUCKET_POLICY, replicas: 2, allowedZones: ['eu/'] })
    assert.ok(Object.isFrozen(DEFAULT_BUCKET_POLICY))
  })

  it('is usable as a placement policy (same field names and spread levels)', () => {
    // the shape @weft/placement's PlacementPolicy reads; protocol cannot import placement
    const policy: { readonly replicas: number, readonly spread: 'zone' | 'rack' | 'host', readonly allowedZones?: readonly string[] } = resolveBucketPolicy({ spread: 'zone' })
    assert.equal(policy.spread, 'zone')
  })

  it('rejects policies it cannot honour, saying which field is wrong', () => {
    const bad: Array<[Partial<BucketPolicy>, RegExp]> = [
      [{ replicas: 0 }, /replicas/],
      [{ replicas: 17 }, /replicas/],
      [{ replicas: 2.5 }, /replicas/],
      [{ spread: 'dc' as 'zone' }, /spread/],
      [{ chunkSize: 1023 }, /chunkSize/],
      [{ chunkSize: MAX_CHUNK_SIZE + 1 }, /chunkSize/],
      [{ allowedZones: [''] }, /zone/],
      [{ allowedZones: ['/eu'] }, /zone/],
      [{ allowedZones: ['eu//dc1'] }, /zone/],
      [{ allowedZones: ['eu west'] }, /zone/],
      [{ allowedZones: ['eu', 'eu'] }, /twice/],
      [{ allowedZones: Array.from({ length: 33 }, (_, i) => `z${i}`) }, /at most 32/]
    ]
    for (const [partial, message] of bad) {
      assert.throws(() => resolveBucketPolicy(partial), (err: unknown) => isPolicyError(err) && message.test((err as Error).message), JSON.stringify(partial))
    }
    assert.doesNotThrow(() => resolveBucketPolicy({ allowedZones: ['eu', 'us/east-1/', 'ap/dc1/rack7'] }))
  })

  it('round-trips records and lives in the reserved namespace', () => {
    const record: BucketRecord = { name: 'datasets', policy: resolveBucketPolicy({ replicas: 2, spread: 'rack', allowedZones: ['eu/dc1', 'eu/dc2'], chunkSize: 1024 * 1024 }), version, deleted: false }
    assert.deepEqual(decodeBucketRecord(encodeBucketRecord(record)), record)
    const deleted = { ...record, deleted: true, version: { ...version, counter: 1 } }
    assert.deepEqual(decodeBucketRecord(encodeBucketRecord(deleted)), deleted)
    assert.equal(newerRef(record, deleted), deleted)
    assert.deepEqual(bucketRecordLocation('datasets'), { bucket: BUCKETS_NAMESPACE, key: 'datasets' })
    assert.throws(() => bucketRecordLocation('.buckets'), InvalidBucketNameError)
    // a bucket record is never mistaken for an object ref, nor the other way round
    assert.throws(() => decodeRefRecord(encodeBucketRecord(record)), /not an object ref/)
  })

  it('refuses invalid records on encode and malformed bytes on decode', () => {
    const record: BucketRecord = { name: 'datasets', policy: DEFAULT_BUCKET_POLICY, version, deleted: false }
    assert.throws(() => encodeBucketRecord({ ...record, name: 'No' }), InvalidBucketNameError)
    assert.throws(() => encodeBucketRecord({ ...record, policy: { ...record.policy, replicas: 0 } }), isPolicyError)
    const good = encodeBucketRecord(record)
    for (const bytes of [new Uint8Array(0), good.subarray(0, good.length - 1), Uint8Array.from([...good, 1]), Uint8Array.from([0x57, 0x52, 1, 1, ...good.subarray(4)]), new Uint8Array(20_000)]) {
      assert.throws(() => decodeBucketRecord(bytes), isRecordError)
    }
    const rand = prng(9)
    for (let i = 0; i < 2000; i++) {
      const bytes = mutate(rand, good)
      try {
        assert.deepEqual(encodeBucketRecord(decodeBucketRecord(bytes)), bytes)
      } catch (err) {
        if (!isRecordError(err)) throw err
      }
    }
  })
})
