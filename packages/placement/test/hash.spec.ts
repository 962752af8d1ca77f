import assert from 'node:assert/strict'
import { lnUnit, unitHash } from '../src/hash.js'
import { rendezvousKey } from '../src/index.js'
import { prng } from './helpers.js'

describe('rendezvous hash', () => {
  it('computes ln(u) within a few ulps of Math.log over the whole range', () => {
    const rnd = prng(21)
    const xs = [0, 1, 2, 3, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 51, 2 ** 52 - 1]
    for (let i = 0; i < 20_000; i++) xs.push(Math.floor(rnd() * 2 ** 52), Math.floor(rnd() * 2 ** (1 + Math.floor(rnd() * 52))))
    for (const x of xs) {
      const exact = Math.log((x + 0.5) / 2 ** 52)
      assert.ok(Math.abs(lnUnit(x) - exact) <= 1e-14, `x = ${x}: ${lnUnit(x)} vs ${exact}`)
      assert.ok(lnUnit(x) < 0)
    }
  })

  it('is monotone in x where it matters (neighbouring 2^32 blocks)', () => {
    let prev = -Infinity
    for (let hi = 0; hi < 2 ** 20; hi += 997) {
      const v = lnUnit(hi * 2 ** 32)
      assert.ok(v > prev)
      prev = v
    }
  })

  it('hashes to 52-bit integers, spread evenly', () => {
    const rnd = prng(22)
    const buckets = new Uint32Array(16)
    for (let i = 0; i < 32_000; i++) {
      const x = unitHash(Math.floor(rnd() * 2 ** 32) | 0, Math.floor(rnd() * 2 ** 32) | 0, i)
      assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 52)
      buckets[Math.floor(x / 2 ** 48)]!++
    }
    for (const b of buckets) assert.ok(Math.abs(b - 2000) < 5 * Math.sqrt(2000), `bucket holds ${b}`)
  })

  it('ranks by ln(u)/weight, the same order as straw2\'s -weight/ln(u)', () => {
    const a = rendezvousKey('peer-a', 3, 12345)
    assert.equal(a.key, a.lnU / 3)
    assert.equal(a.lnU, lnUnit(a.hash))
    const rnd = prng(23)
    for (let i = 0; i < 2000; i++) {
      const p = Math.floor(rnd() * 2 ** 22)
      const x = rendezvousKey(`x${i}`, 1 + rnd() * 4, p)
      const y = rendezvousKey(`y${i}`, 1 + rnd() * 4, p)
      const straw = (k: { lnU: number, key: number }): number => -(k.lnU / k.key) / k.lnU
      assert.equal(x.key > y.key, straw(x) > straw(y))
    }
  })
})
