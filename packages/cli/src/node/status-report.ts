/**
 * The JSON a node serves on `/status` and `weft status` reads: this node's
 * view of the map. Every member's zone, state, capacity and usage come from
 * its signed record; chunk counts and background work are known for this
 * node only (records do not carry them), so they are `null` for the others.
 */
import { placementState } from '@weft/node'
import type { Liveness, WeftNode } from '@weft/node'

/** Bumped when a field changes meaning; fields are only ever added otherwise. */
export const STATUS_FORMAT = 1

export interface StatusReport {
  format: number
  /** the node answering */
  peerId: string
  meshId: string
  version: string
  /** ms since the epoch, when this report was made */
  time: number
  /** grows whenever a member joins, leaves or changes state, zone or weight */
  mapVersion: number
  members: MemberReport[]
  /** objects this node's last audit found lost (every copy of a chunk or of the manifest gone), at most a bounded list */
  lost: Array<{ bucket: string, key: string, reason: string }>
}

export type DisplayState = Liveness | 'draining' | 'leaving'

export interface MemberReport {
  peerId: string
  /** true for the node answering */
  self: boolean
  zone: string
  /** liveness, or `draining` when a live member is draining */
  state: DisplayState
  liveness: Liveness
  /** what placement does with it: `up`, `draining`, `down` or `out` */
  placement: string
  capacityBytes: number
  usedBytes: number
  full: boolean
  /** chunks stored: known for the answering node only */
  chunks: number | null
  load: { inFlight: number, mbps: number }
  addrs: string[]
  version: string
  startedAt: number
  /** ms since the epoch when the answering node last heard from it */
  lastSeen: number
  /** background work: known for the answering node only */
  background: BackgroundReport | null
}

export interface BackgroundReport {
  /** false when the node runs without its reconciler (or has not reported yet): the numbers are then zeros */
  active: boolean
  /** copy tasks of the current pass not yet done, by kind */
  repairPending: number
  rebalancePending: number
  /** bytes those tasks still have to send */
  pendingBytes: number
  /** bytes per second moved by background work, over the last sample */
  bytesPerSecond: number
  /** the last pass found nothing to do */
  settled: boolean
  /** the node is draining, and (drained) holds nothing the mesh needs any more */
  draining: boolean
  drained: boolean
}

export const NO_BACKGROUND: BackgroundReport = Object.freeze({ active: false, repairPending: 0, rebalancePending: 0, pendingBytes: 0, bytesPerSecond: 0, settled: false, draining: false, drained: false })

export function buildStatusReport (node: WeftNode, background: BackgroundReport): StatusReport {
  const usage = node.store.usage()
  const members: MemberReport[] = node.members().map(m => {
    const r = m.record
    const placement = placementState(m.liveness, r)
    const live = m.liveness === 'up' || m.liveness === 'suspect'
    return {
      peerId: m.peerId,
      self: m.self,
      zone: r.zone,
      state: live && r.state === 'draining' ? 'draining' : m.liveness,
      liveness: m.liveness,
      placement,
      capacityBytes: m.self && Number.isFinite(usage.capacityBytes) ? usage.capacityBytes : r.capacityBytes,
      usedBytes: m.self ? usage.usedBytes : r.usedBytes,
      full: m.self ? usage.full : r.full,
      chunks: m.self ? usage.chunkCount : null,
      load: { inFlight: r.load.inFlight, mbps: r.load.mbps },
      addrs: [...r.addrs],
      version: r.version,
      startedAt: r.startedAt,
      lastSeen: m.self ? Date.now() : m.lastSeen,
      background: m.self ? background : null
    }
  })
  return {
    format: STATUS_FORMAT,
    peerId: node.peerId,
    meshId: node.meshId,
    version: node.record?.version ?? '',
    time: Date.now(),
    mapVersion: node.getMap().version,
    members,
    lost: node.gc.lost().map(l => ({ bucket: l.bucket, key: l.key, reason: l.reason }))
  }
}
