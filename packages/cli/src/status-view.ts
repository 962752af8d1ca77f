/** `weft status` as a table. */
import { shortPeer } from './addr.js'
import { renderTable } from './table.js'
import { formatBytes } from './units.js'
import type { MemberReport, StatusReport } from './node/status-report.js'

export interface StatusView extends StatusReport {
  /** the admin URL whose map this is */
  viewedBy: string
  /** admin URLs asked that did not answer */
  unanswered: string[]
}

const HEADER = ['ZONE', 'PEER', 'STATE', 'CAPACITY', 'USED', 'CHUNKS', 'LOAD', 'REPAIR', 'REBALANCE', 'RATE']
const RIGHT = new Set([3, 4, 5, 6, 7, 8, 9])

export function renderStatus (view: StatusView): string {
  const members = [...view.members].sort((a, b) => a.zone.localeCompare(b.zone) || a.peerId.localeCompare(b.peerId))
  const counts = new Map<string, number>()
  for (const m of members) counts.set(m.state, (counts.get(m.state) ?? 0) + 1)
  const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ')
  const self = members.find(m => m.self)
  const lines = [
    `mesh ${view.meshId.slice(0, 8)}  map v${view.mapVersion}  ${members.length} member${members.length === 1 ? '' : 's'}: ${summary}  (as seen by ${shortPeer(view.peerId)} at ${view.viewedBy})`,
    '',
    renderTable(HEADER, members.map(row), RIGHT)
  ]
  const capacity = members.filter(m => m.placement === 'up' || m.placement === 'draining').reduce((s, m) => s + m.capacityBytes, 0)
  const used = members.reduce((s, m) => s + m.usedBytes, 0)
  lines.push('', `total: ${formatBytes(used)} used of ${formatBytes(capacity)} on live members`)
  const bg = self?.background
  if (bg != null && bg.active) {
    const pending = bg.repairPending + bg.rebalancePending
    lines.push(pending > 0
      ? `background work on ${shortPeer(self!.peerId)}: ${bg.repairPending} repair and ${bg.rebalancePending} rebalance copies (${formatBytes(bg.pendingBytes)}) pending, ${formatBytes(bg.bytesPerSecond)}/s`
      : `background work on ${shortPeer(self!.peerId)}: ${bg.settled ? 'settled' : 'checking'}${bg.drained ? '; drained, can be removed' : bg.draining ? '; draining' : ''}`)
  }
  const lost = view.lost ?? []
  if (lost.length > 0) {
    const names = lost.slice(0, 5).map(l => `${l.bucket}/${l.key}`).join(', ')
    lines.push(`LOST: ${lost.length} object${lost.length === 1 ? '' : 's'} lost every copy of some data (${names}${lost.length > 5 ? ', ...' : ''}); \`weft status --json\` lists them`)
  }
  if (view.unanswered.length > 0) lines.push(`no answer from ${view.unanswered.join(', ')} (stopped, or a stale URL)`)
  return lines.join('\n')
}

function row (m: MemberReport): string[] {
  const pct = m.capacityBytes > 0 ? ` ${Math.round(m.usedBytes / m.capacityBytes * 100)}%` : ''
  const bg = m.background
  return [
    m.zone === '' ? '-' : m.zone,
    shortPeer(m.peerId) + (m.self ? '*' : ''),
    m.state + (m.full ? ' full' : ''),
    formatBytes(m.capacityBytes),
    formatBytes(m.usedBytes) + pct,
    m.chunks == null ? '-' : String(m.chunks),
    `${m.load.inFlight} req ${m.load.mbps.toFixed(1)} MB/s`,
    bg == null ? '-' : String(bg.repairPending),
    bg == null ? '-' : String(bg.rebalancePending),
    bg == null ? '-' : `${formatBytes(bg.bytesPerSecond)}/s`
  ]
}
