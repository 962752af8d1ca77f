import assert from 'node:assert/strict'
import { readerOrder } from '../src/index.js'
import type { ClusterNode, PeerStats } from '../src/index.js'

const node = (peerId: string, zone: string): ClusterNode => ({ peerId, weight: 1, zone, state: 'up' })
const order = (nodes: ClusterNode[]): string[] => nodes.map(n => n.peerId)

describe('readerOrder', () => {
  const far = node('far', 'us/dc1/r1/h1')
  const zone = node('zone', 'eu/dc1/r2/h9')
  const host = node('host', 'eu/dc1/r1/h1')
  const self = node('self', 'eu/dc1/r1/h1')

  it('prefers the reader itself, then its host, then its zone', () => {
    assert.deepEqual(order(readerOrder([far, zone, host, self], { peerId: 'self', zone: 'eu/dc1/r1/h1' })), ['self', 'host', 'zone', 'far'])
  })

  it('then lower latency, with unknown latency after any known', () => {
    const a = node('a', 'us/dc1/r1/h1')
    const b = node('b', 'us/dc2/r1/h1')
    const c = node('c', 'ap/dc1/r1/h1')
    const stats = new Map<string, PeerStats>([['a', { latencyMs: 9 }], ['c', { latencyMs: 2 }]])
    assert.deepEqual(order(readerOrder([a, b, c], { zone: 'eu/dc1/r1/h1' }, stats)), ['c', 'a', 'b'])
    // locality still wins over latency
    assert.deepEqual(order(readerOrder([a, zone], { zone: 'eu/dc1/r1/h1' }, new Map([['a', { latencyMs: 0.1 }], ['zone', { latencyMs: 50 }]]))), ['zone', 'a'])
  })

  it('then fewer requests in flight (absent counts as 0), then the replica-set order', () => {
    const a = node('a', 'x/y')
    const b = node('b', 'x/y')
    const c = node('c', 'x/y')
    const d = node('d', 'x/y')
    const stats = new Map<string, PeerStats>([['a', { latencyMs: 5, inFlight: 4 }], ['b', { latencyMs: 5, inFlight: 1 }], ['c', { latencyMs: 5 }], ['d', { latencyMs: NaN }]])
    assert.deepEqual(order(readerOrder([a, b, c, d], {}, stats)), ['c', 'b', 'a', 'd'])
    assert.deepEqual(order(readerOrder([d, c, b, a], {})), ['d', 'c', 'b', 'a'])
  })

  it('gives no locality to an unknown zone or host', () => {
    const blank = node('blank', '')
    const other = node('other', 'eu/dc1')
    // the reader's zone is empty: nobody is "local"
    assert.deepEqual(order(readerOrder([blank, other], { zone: '' }, new Map([['other', { latencyMs: 1 }]]))), ['other', 'blank'])
    // same zone, but the reader's host is unknown: same zone, not same host
    const h = node('h', 'eu/dc1/r1/h1')
    const z = node('z', 'eu/dc1/r3/h4')
    assert.deepEqual(order(readerOrder([h, z], { zone: 'eu/dc1' }, new Map([['z', { latencyMs: 1 }]]))), ['z', 'h'])
  })

  it('does not modify its input', () => {
    const input = [far, self]
    readerOrder(input, { peerId: 'self' })
    assert.deepEqual(order(input), ['far', 'self'])
  })
})
