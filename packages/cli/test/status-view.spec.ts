import assert from 'node:assert/strict'
import { renderStatus } from '../src/status-view.js'
import type { MemberReport } from '../src/node/status-report.js'
import type { StatusView } from '../src/status-view.js'

function member (peerId: string, zone: string, patch: Partial<MemberReport> = {}): MemberReport {
  return {
    peerId,
    self: false,
    zone,
    state: 'up',
    liveness: 'up',
    placement: 'up',
    capacityBytes: 100 * 2 ** 30,
    usedBytes: 25 * 2 ** 30,
    full: false,
    chunks: null,
    load: { inFlight: 2, mbps: 12.5 },
    addrs: [],
    version: '0.1.0',
    startedAt: 0,
    lastSeen: 0,
    background: null,
    ...patch
  }
}

describe('renderStatus', () => {
  it('shows one row per member, sorted by zone, with what only the node itself knows', () => {
    const view: StatusView = {
      format: 1,
      peerId: '12D3KooWself0001',
      meshId: 'abcdef0123456789',
      version: '0.1.0',
      time: 0,
      mapVersion: 7,
      viewedBy: 'http://127.0.0.1:9301',
      unanswered: ['http://127.0.0.1:9302'],
      lost: [{ bucket: 'b', key: 'gone', reason: 'chunk-missing' }],
      members: [
        member('12D3KooWother002', 'eu/dc2', { state: 'down', liveness: 'down', placement: 'down' }),
        member('12D3KooWself0001', 'eu/dc1', { self: true, chunks: 1234, background: { active: true, repairPending: 2, rebalancePending: 5, pendingBytes: 7 * 2 ** 20, bytesPerSecond: 0, settled: false, draining: false, drained: false } })
      ]
    }
    const text = renderStatus(view)
    const lines = text.split('\n')
    assert.match(lines[0] ?? '', /mesh abcdef01 {2}map v7 {2}2 members: .*1 up.*1 down/)
    const rows = lines.filter(l => l.startsWith('eu/'))
    assert.equal(rows.length, 2)
    assert.match(rows[0] ?? '', /^eu\/dc1 +…self0001\* +up +100 GiB +25\.0 GiB 25% +1234 +2 req 12\.5 MB\/s +2 +5 +0 B\/s$/)
    assert.match(rows[1] ?? '', /^eu\/dc2 +…other002 +down +100 GiB .* +- +2 req 12\.5 MB\/s +- +- +-$/)
    // only the live member's capacity counts
    assert.match(text, /total: 50\.0 GiB used of 100 GiB on live members/)
    assert.match(text, /background work on …self0001: 2 repair and 5 rebalance copies \(7\.0 MiB\) pending/)
    assert.match(text, /LOST: 1 object lost every copy of some data \(b\/gone\)/)
    assert.match(text, /no answer from http:\/\/127\.0\.0\.1:9302/)
  })
})
