import assert from 'node:assert/strict'
import { BUCKETS_NAMESPACE } from '../../src/model/constants.js'
import { InvalidBucketNameError, InvalidKeyError } from '../../src/model/errors.js'
import { isReservedBucket, isValidBucketName, isValidKey, validateBucketName, validateKey } from '../../src/model/names.js'

function bucketError (name: unknown): InvalidBucketNameError {
  try {
    validateBucketName(name)
  } catch (err) {
    assert.ok(err instanceof InvalidBucketNameError)
    assert.equal(err.code, 'ERR_INVALID_BUCKET_NAME')
    return err
  }
  assert.fail(`${JSON.stringify(name)} was accepted`)
}

function keyError (key: unknown): InvalidKeyError {
  try {
    validateKey(key)
  } catch (err) {
    assert.ok(err instanceof InvalidKeyError)
    assert.equal(err.code, 'ERR_INVALID_KEY')
    return err
  }
  assert.fail(`${JSON.stringify(key)} was accepted`)
}

describe('model/names', () => {
  describe('validateBucketName', () => {
    it('accepts valid names at the edges of every rule', () => {
      for (const name of ['abc', 'a'.repeat(63), 'my-bucket', 'my.bucket.1', '1bucket', 'bucket9', 'a-b.c-d', '123', '1.2.3', '1.2.3.4.5', 'x-n--abc', 'xn-abc', 'abc-s3alia', 'sthree', 'a--ol-s4']) {
        assert.doesNotThrow(() => { validateBucketName(name) }, name)
        assert.ok(isValidBucketName(name))
      }
    })

    const cases: Array<[string, unknown, string, RegExp]> = [
      ['too short', 'ab', 'length', /3 to 63 characters/],
      ['too long', 'a'.repeat(64), 'length', /3 to 63 characters/],
      ['empty', '', 'length', /3 to 63/],
      ['uppercase', 'MyBucket', 'charset', /lowercase letters, digits, dots and hyphens/],
      ['underscore', 'my_bucket', 'charset', /lowercase letters/],
      ['space', 'my bucket', 'charset', /lowercase letters/],
      ['non-ASCII', 'bücket', 'charset', /lowercase letters/],
      ['leading hyphen', '-bucket', 'edge', /start and end with a lowercase letter or a digit/],
      ['trailing hyphen', 'bucket-', 'edge', /start and end/],
      ['leading dot', '.bucket', 'edge', /start and end/],
      ['trailing dot', 'bucket.', 'edge', /start and end/],
      ['adjacent dots', 'my..bucket', 'adjacent-dots', /two adjacent dots/],
      ['IPv4 address', '192.168.5.4', 'ip-address', /IP address/],
      ['xn-- prefix', 'xn--bucket', 'reserved-prefix', /reserved prefix "xn--"/],
      ['sthree- prefix', 'sthree-bucket', 'reserved-prefix', /reserved prefix "sthree-"/],
      ['sthree-configurator prefix', 'sthree-configurator', 'reserved-prefix', /reserved prefix "sthree-"/],
      ['amzn-s3-demo- prefix', 'amzn-s3-demo-bucket', 'reserved-prefix', /"amzn-s3-demo-"/],
      ['-s3alias suffix', 'bucket-s3alias', 'reserved-suffix', /reserved suffix "-s3alias"/],
      ['--ol-s3 suffix', 'bucket--ol-s3', 'reserved-suffix', /reserved suffix "--ol-s3"/],
      ['.mrap suffix', 'bucket.mrap', 'reserved-suffix', /".mrap"/],
      ['--x-s3 suffix', 'bucket--x-s3', 'reserved-suffix', /"--x-s3"/],
      ['--table-s3 suffix', 'bucket--table-s3', 'reserved-suffix', /"--table-s3"/],
      ['not a string', 42, 'type', /must be a string/]
    ]
    for (const [what, name, rule, message] of cases) {
      it(`rejects ${what} with rule ${rule}`, () => {
        const err = bucketError(name)
        assert.equal(err.rule, rule)
        assert.match(err.message, message)
        assert.equal(isValidBucketName(name), false)
      })
    }

    it('reserves the bucket-record namespace: no valid bucket can be named like it', () => {
      assert.equal(bucketError(BUCKETS_NAMESPACE).rule, 'edge')
      assert.ok(isReservedBucket(BUCKETS_NAMESPACE))
      assert.equal(isReservedBucket('buckets'), false)
    })
  })

  describe('validateKey', () => {
    it('accepts keys S3 accepts (slashes, dots, spaces, Unicode, emoji, C1 controls)', () => {
      for (const key of ['a', 'dir/sub/file.txt', '/leading', '../x', ' ', 'ünïcödé', '日本語/キー', '😀/🐢', '\u0085', 'k'.repeat(1024), 'é'.repeat(512), '😀'.repeat(256), '\uFEFFbom']) {
        assert.doesNotThrow(() => { validateKey(key) }, JSON.stringify(key))
        assert.ok(isValidKey(key))
      }
    })

    it('rejects an empty key (length)', () => {
      const err = keyError('')
      assert.equal(err.rule, 'length')
      assert.match(err.message, /empty/)
    })

    it('counts UTF-8 bytes, not characters (length)', () => {
      for (const key of ['k'.repeat(1025), 'é'.repeat(513), '日'.repeat(342), '😀'.repeat(256) + 'x']) {
        const err = keyError(key)
        assert.equal(err.rule, 'length')
        assert.match(err.message, /1024/)
      }
    })

    it('rejects lone surrogates (utf16)', () => {
      for (const key of ['a\uD800', '\uD800b', 'a\uDC00b', '\uDBFF\uDBFF', '😀'.slice(0, 1)]) {
        const err = keyError(key)
        assert.equal(err.rule, 'utf16')
        assert.match(err.message, /surrogate/)
      }
    })

    it('rejects C0 control characters and DEL (control-character)', () => {
      for (const [key, shown] of [['a\u0000b', 'U+0000'], ['line\nbreak', 'U+000A'], ['tab\t', 'U+0009'], ['\u001f', 'U+001F'], ['del\u007f', 'U+007F']]) {
        const err = keyError(key)
        assert.equal(err.rule, 'control-character')
        assert.ok(err.message.includes(shown as string), err.message)
      }
    })

    it('rejects non-strings (type)', () => {
      assert.equal(keyError(undefined).rule, 'type')
      assert.equal(isValidKey(7), false)
    })
  })
})
