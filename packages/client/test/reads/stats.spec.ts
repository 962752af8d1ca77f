import assert from 'node:assert/strict'
import { readerOrder } from '@weft/placement'
import { ReplicaStats } from '../../src/reads/stats.js'
import type { ClusterNode } from '@weft/placement'

const node = (peerId: string, zone = ''): ClusterNode => ({ peerId, weight: 1, zone, state: 'up' })

describe('reads/stats: live measurements for the reader order', () => {
  it('orders by measured latency, spreads load by requests in flight, and keeps zone first', () => {
    let now = 0
    const stats = new ReplicaStats({ now: () => now, measurementTtlMs: Infinity })
    const nodes = [node('a', 'eu/dc1'), node('b', 'eu/dc2'), node('c', 'eu/dc2')]
    stats.latency('a', 5)
    stats.latency('b', 1)
    stats.latency('c', 1.2)
    const ids = (zone?: string): string[] => readerOrder(nodes, { zone }, stats.snapshot(['a', 'b', 'c'])).map(n => n.peerId)
    assert.deepEqual(ids(), ['b', 'c', 'a'])
    // two requests on b: its expected wait (1 x 3) passes c's
    const ends = [stats.begin('b'), stats.begin('b')]
    assert.deepEqual(ids(), ['c', 'b', 'a'])
    // five: (1 x 6) passes a's too
    ends.push(stats.begin('b'), stats.begin('b'), stats.begin('b'))
    assert.deepEqual(ids(), ['c', 'a', 'b'])
    for (const end of ends) end()
    ends[0]?.()
    assert.equal(stats.get('b')?.inFlight, 0, 'ending twice counts once')
    // a reader in eu/dc1 reads its own zone first whatever the latency
    assert.deepEqual(ids('eu/dc1/r1/h1'), ['a', 'b', 'c'])
    // a failure pushes a peer back for a while
    stats.failed('b')
    assert.deepEqual(ids(), ['c', 'a', 'b'])
    now += 60_000
    assert.deepEqual(ids(), ['b', 'c', 'a'])
  })

  it('an unmeasured peer is assumed as fast as the median measured one', () => {
    const stats = new ReplicaStats()
    assert.equal(stats.snapshot(['x']).size, 0, 'nothing measured: no guess')
    stats.latency('a', 2)
    stats.latency('b', 4)
    stats.latency('c', 6)
    assert.equal(stats.snapshot(['x']).get('x')?.latencyMs, 4)
  })

  it('hedge delay: initial value until enough samples, then the percentile of first-byte times, never below the floor', () => {
    const stats = new ReplicaStats({ initialHedgeMs: 100, hedgeFloorMs: 3, hedgePercentile: 0.9 })
    assert.equal(stats.hedgeDelay(), 100)
    for (let i = 1; i <= 20; i++) stats.latency('a', i)
    assert.equal(stats.hedgeDelay(), 19)
    // lower bounds of given-up requests move the peer's average, not the percentile
    stats.latency('b', 10_000, true)
    assert.equal(stats.hedgeDelay(), 19)
    assert.equal(stats.get('b')?.latencyMs, 10_000)
    const fast = new ReplicaStats({ hedgeFloorMs: 3 })
    for (let i = 0; i < 20; i++) fast.latency('a', 0.1)
    assert.equal(fast.hedgeDelay(), 3)
  })

  it('a replica that keeps losing hedge races and is far slower than the others is slow until its measurement expires', () => {
    let now = 0
    const stats = new ReplicaStats({ now: () => now, measurementTtlMs: 10_000 })
    for (let i = 0; i < 10; i++) stats.latency('fast', 5)
    stats.latency('slow', 400, true)
    stats.lostRace('slow')
    assert.equal(stats.isSlow('slow'), false, 'one lost race is not enough')
    stats.lostRace('slow')
    assert.equal(stats.isSlow('slow'), true)
    assert.equal(stats.isSlow('fast'), false)
    assert.equal(stats.isSlow('unknown'), false)
    // a peer that loses races but is about as fast as the rest (everything is slow) is not demoted
    stats.latency('busy', 8, true)
    stats.lostRace('busy')
    stats.lostRace('busy')
    assert.equal(stats.isSlow('busy'), false)
    stats.failed('fast')
    assert.equal(stats.isSlow('fast'), true, 'a recent failure counts as slow')
    now += 11_000
    assert.equal(stats.isSlow('slow'), false, 'forgotten: asked again')
    assert.equal(stats.isSlow('fast'), false)
    // an answer it starts sending clears the streak
    stats.latency('slow', 400, true)
    stats.latency('slow', 2)
    assert.equal(stats.get('slow')?.racesLost, 0)
  })

  it('hedges are rationed: a burst, then a share per request', () => {
    const stats = new ReplicaStats({ hedgeRatio: 0.25, hedgeBurst: 2 })
    assert.equal(stats.takeHedge(), true)
    assert.equal(stats.takeHedge(), true)
    assert.equal(stats.takeHedge(), false)
    for (let i = 0; i < 3; i++) stats.requested()
    assert.equal(stats.takeHedge(), false)
    stats.requested()
    assert.equal(stats.takeHedge(), true)
  })
})
