import assert from 'node:assert/strict'
import { MAX_HLC_COUNTER } from '../../src/model/constants.js'
import { ClockDriftError, InvalidVersionError } from '../../src/model/errors.js'
import { compareVersions, decodeVersion, encodeVersion, HybridClock } from '../../src/model/hlc.js'
import { prng, randomInt } from './helpers.js'
import type { Version } from '../../src/model/hlc.js'

const A = '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const B = '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'

/** a wall clock the test moves by hand */
function manualClock (start: number): { now: () => number, set: (ms: number) => void } {
  let t = start
  return { now: () => t, set: (ms) => { t = ms } }
}

describe('model/hlc', () => {
  it('issues strictly increasing versions while the wall clock jumps backwards and stalls', () => {
    const wall = manualClock(1_700_000_000_000)
    const clock = new HybridClock({ writer: A, wallClock: wall.now })
    const rand = prng(1)
    let prev = clock.now()
    for (let i = 0; i < 5000; i++) {
      // mostly forward, often stalled, sometimes a big step back (NTP correction)
      const r = rand()
      if (r < 0.4) wall.set(wall.now() + randomInt(rand, 0, 5))
      else if (r < 0.5) wall.set(wall.now() - randomInt(rand, 1, 10_000))
      const v = clock.now()
      assert.ok(compareVersions(prev, v) < 0, `${encodeVersion(prev)} !< ${encodeVersion(v)}`)
      assert.ok(encodeVersion(prev) < encodeVersion(v))
      prev = v
    }
  })

  it('follows the wall clock when it moves forward (counter resets)', () => {
    const wall = manualClock(1000)
    const clock = new HybridClock({ writer: A, wallClock: wall.now })
    assert.deepEqual(clock.now(), { wallMs: 1000, counter: 0, writer: A })
    assert.deepEqual(clock.now(), { wallMs: 1000, counter: 1, writer: A })
    wall.set(900)
    assert.deepEqual(clock.now(), { wallMs: 1000, counter: 2, writer: A })
    wall.set(1005)
    assert.deepEqual(clock.now(), { wallMs: 1005, counter: 0, writer: A })
  })

  it('update() makes later local versions greater than the remote one', () => {
    const wall = manualClock(10_000)
    const clock = new HybridClock({ writer: A, wallClock: wall.now })
    clock.now()
    const remote: Version = { wallMs: 10_500, counter: 7, writer: B }
    const merged = clock.update(remote)
    assert.deepEqual(merged, { wallMs: 10_500, counter: 8, writer: A })
    assert.ok(compareVersions(remote, clock.now()) < 0)
    // a remote behind us changes nothing but the counter
    const behind = clock.update({ wallMs: 5, counter: 99, writer: B })
    assert.equal(behind.wallMs, 10_500)
    assert.ok(compareVersions(merged, behind) < 0)
  })

  it('update() with equal wall times takes the larger counter', () => {
    const wall = manualClock(2000)
    const clock = new HybridClock({ writer: A, wallClock: wall.now })
    clock.now() // (2000, 0)
    assert.deepEqual(clock.update({ wallMs: 2000, counter: 41, writer: B }), { wallMs: 2000, counter: 42, writer: A })
  })

  it('refuses a remote timestamp beyond maxDriftMs and leaves the clock unchanged', () => {
    const wall = manualClock(100_000)
    const clock = new HybridClock({ writer: A, wallClock: wall.now, maxDriftMs: 1000 })
    const before = clock.now()
    assert.throws(() => clock.update({ wallMs: 101_001, counter: 0, writer: B }), (err: unknown) => {
      assert.ok(err instanceof ClockDriftError)
      assert.equal(err.code, 'ERR_CLOCK_DRIFT')
      assert.equal(err.aheadMs, 1001)
      return true
    })
    assert.deepEqual(clock.last, before)
    // exactly at the bound is accepted
    assert.equal(clock.update({ wallMs: 101_000, counter: 0, writer: B }).wallMs, 101_000)
  })

  it('defaults maxDriftMs to 60 s', () => {
    const clock = new HybridClock({ writer: A, wallClock: () => 0 })
    assert.doesNotThrow(() => clock.update({ wallMs: 60_000, counter: 0, writer: B }))
    assert.throws(() => clock.update({ wallMs: 60_001, counter: 0, writer: B }), ClockDriftError)
  })

  it('moves the wall time on by 1 ms when the counter is exhausted', () => {
    const clock = new HybridClock({ writer: A, wallClock: () => 5000 })
    const v = clock.update({ wallMs: 5000, counter: MAX_HLC_COUNTER, writer: B })
    assert.deepEqual(v, { wallMs: 5001, counter: 0, writer: A })
    assert.ok(compareVersions({ wallMs: 5000, counter: MAX_HLC_COUNTER, writer: B }, v) < 0)
  })

  it('rejects malformed remote versions', () => {
    const clock = new HybridClock({ writer: A, wallClock: () => 5000 })
    for (const bad of [{ wallMs: -1, counter: 0, writer: B }, { wallMs: 1.5, counter: 0, writer: B }, { wallMs: 1, counter: 2 ** 32, writer: B }, { wallMs: 1, counter: 0, writer: '' }, { wallMs: 1, counter: 0, writer: 'has space' }, { wallMs: 2 ** 48, counter: 0, writer: B }]) {
      assert.throws(() => clock.update(bad), InvalidVersionError, JSON.stringify(bad))
    }
  })

  it('orders totally: wall, then counter, then writer; text encoding sorts the same way', () => {
    const rand = prng(7)
    const writers = [A, B, 'a', 'b', '12D3KooWA', 'Z']
    const versions: Version[] = []
    for (let i = 0; i < 500; i++) {
      versions.push({ wallMs: randomInt(rand, 0, 3) * 2 ** randomInt(rand, 0, 46), counter: randomInt(rand, 0, 2) * randomInt(rand, 0, 2 ** 31), writer: writers[randomInt(rand, 0, writers.length - 1)] as string })
    }
    const byCompare = [...versions].sort(compareVersions).map(encodeVersion)
    const byText = versions.map(encodeVersion).sort()
    assert.deepEqual(byCompare, byText)
    for (let i = 0; i < versions.length - 1; i++) {
      const a = versions[i]!
      const b = versions[i + 1]!
      assert.equal(Math.sign(compareVersions(a, b)), -Math.sign(compareVersions(b, a)))
      assert.equal(compareVersions(a, b) === 0, encodeVersion(a) === encodeVersion(b))
    }
    assert.ok(compareVersions({ wallMs: 2, counter: 0, writer: A }, { wallMs: 1, counter: 9, writer: B }) > 0)
    assert.ok(compareVersions({ wallMs: 1, counter: 1, writer: A }, { wallMs: 1, counter: 0, writer: B }) > 0)
    assert.ok(compareVersions({ wallMs: 1, counter: 0, writer: B }, { wallMs: 1, counter: 0, writer: A }) > 0)
  })

  it('encodes to a fixed-width string and decodes back', () => {
    const v: Version = { wallMs: 1_700_000_000_123, counter: 42, writer: A }
    const s = encodeVersion(v)
    assert.equal(s, `018bcfe5687b-0000002a-${A}`)
    assert.deepEqual(decodeVersion(s), v)
    const max: Version = { wallMs: 2 ** 48 - 1, counter: 2 ** 32 - 1, writer: 'x'.repeat(128) }
    assert.deepEqual(decodeVersion(encodeVersion(max)), max)
  })

  it('rejects malformed encodings with ERR_INVALID_VERSION', () => {
    const good = encodeVersion({ wallMs: 0xabcdef, counter: 0xff, writer: A })
    for (const bad of ['', good.slice(0, 21), good.toUpperCase(), good.replace('-', '_'), `000000000001-0000000g-${A}`, `00000000001-000000002-${A}`, `000000000001-00000002-${'x'.repeat(129)}`, `000000000001-00000002-a b`, `+00000000001-00000002-${A}`]) {
      assert.throws(() => decodeVersion(bad), (err: unknown) => err instanceof InvalidVersionError && err.code === 'ERR_INVALID_VERSION', bad)
    }
  })

  it('refuses a writer that is not a printable id', () => {
    assert.throws(() => new HybridClock({ writer: '' }), InvalidVersionError)
    assert.throws(() => new HybridClock({ writer: 'a\nb' }), InvalidVersionError)
  })
})
