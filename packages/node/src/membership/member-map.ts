/**
 * The merged records (highest seq per peer) plus this node's liveness view,
 * and the one ClusterMap (placement's shape) projected from them. Emits the
 * member:* events. No I/O: the caller feeds verified records and signs of
 * life, and a monotonic clock.
 */
import { RecordSet } from '@weft/protocol'
import { LivenessTable } from './liveness.js'
import type { Liveness, Member, MembershipEvents, MembershipTimings } from './types.js'
import type { ClusterMap, ClusterNode, NodeState } from '@weft/placement'
import type { DigestEntry, MergeResult, NodeRecord, SignedRecord } from '@weft/protocol'

export type MemberEventName = keyof MembershipEvents

export interface MemberMapInit {
  selfId: string
  timings: Pick<MembershipTimings, 'suspectAfterMs' | 'downAfterMs' | 'outAfterMs' | 'forgetAfterMs'>
  maxMembers: number
  /** monotonic ms */
  now: () => number
  emit: (name: MemberEventName, member: Member) => void
  /** a record of ourselves with this seq circulates: our next seq must be above it */
  onOwnRecordSeen?: (seq: number) => void
  /** a member was dropped from the map */
  onForget?: (peerId: string) => void
}

/** How a record reached us. */
export interface IngestSource {
  /** it came from the member itself (gossip from its key), so it is alive now */
  direct?: { seq: number, beat: number }
  /** relayed: the relay last heard from the member this long ago */
  ageMs?: number
}

/** Placement's view: suspect still serves, left waits like down until it is out. */
export function placementState (liveness: Liveness, record: NodeRecord): NodeState {
  switch (liveness) {
    case 'up':
    case 'suspect':
      return record.state === 'draining' ? 'draining' : 'up'
    case 'down':
    case 'left':
      return 'down'
    case 'out':
      return 'out'
  }
}

export class MemberMap {
  readonly records: RecordSet
  readonly liveness: LivenessTable
  private readonly init: MemberMapInit
  private self?: SignedRecord
  private selfLeaving = false
  private readonly projection = new Map<string, string>()
  private version = 0
  private cached?: ClusterMap

  constructor (init: MemberMapInit) {
    this.init = init
    // +1: the node's own record never crowds out a member
    this.records = new RecordSet({ maxMembers: init.maxMembers + 1 })
    this.liveness = new LivenessTable(init.timings)
  }

  get size (): number {
    return this.records.size
  }

  /** Installs a newly signed record of this node. */
  setSelf (signed: SignedRecord): void {
    this.self = signed
    this.selfLeaving = signed.record.state === 'leaving'
    this.records.merge(signed)
    this.project(this.init.selfId)
  }

  getSelf (): SignedRecord | undefined {
    return this.self
  }

  /** Merges a verified record and updates liveness; emits events. */
  ingest (signed: SignedRecord, source: IngestSource): MergeResult {
    const id = signed.record.peerId
    if (id === this.init.selfId) {
      const own = this.self?.record.seq ?? 0
      if (signed.record.seq >= own) this.init.onOwnRecordSeen?.(signed.record.seq)
      return 'stale'
    }
    const now = this.init.now()
    if (source.direct == null && (source.ageMs ?? 0) >= this.init.timings.forgetAfterMs && !this.records.has(id)) {
      // long gone on the relay too: do not resurrect a member everyone is forgetting
      return 'stale'
    }
    let result = this.records.merge(signed)
    if (result === 'full' && this.evictOne()) result = this.records.merge(signed)
    if (result === 'full') return result
    if (result === 'added') this.liveness.add(id, now - (source.direct != null ? 0 : Math.max(0, source.ageMs ?? 0)))
    if (source.direct != null) {
      const { seq, beat } = source.direct
      // a replayed message is no sign of life
      if (result !== 'stale' && this.liveness.isFresh(id, seq, beat)) this.liveness.heard(id, now, seq, beat)
    } else if (source.ageMs !== undefined) {
      this.liveness.heardOf(id, now, source.ageMs)
    }
    this.evaluateOne(id, result === 'updated' || (result === 'conflict'))
    return result
  }

  /** The member itself spoke. */
  heard (peerId: string, seq?: number, beat?: number): void {
    if (!this.liveness.has(peerId)) return
    this.liveness.heard(peerId, this.init.now(), seq, beat)
    this.evaluateOne(peerId, false)
  }

  /** Someone heard from the member `ageMs` ago. */
  heardOf (peerId: string, ageMs: number): void {
    if (!this.liveness.has(peerId)) return
    this.liveness.heardOf(peerId, this.init.now(), ageMs)
    this.evaluateOne(peerId, false)
  }

  /** Re-evaluates every member's liveness (call once per heartbeat). */
  evaluate (): void {
    for (const id of [...this.liveness.peerIds()]) this.evaluateOne(id, false)
  }

  /** Drops members out for longer than forgetAfterMs. */
  forgetOld (): void {
    const now = this.init.now()
    for (const id of [...this.liveness.peerIds()]) {
      const seen = this.liveness.lastSeen(id) ?? now
      if (this.liveness.liveness(id) === 'out' && now - seen >= this.init.timings.forgetAfterMs) this.forget(id)
    }
  }

  private forget (id: string): void {
    this.records.delete(id)
    this.liveness.delete(id)
    this.project(id)
    this.init.onForget?.(id)
  }

  /** Makes room by forgetting the longest-silent out member. */
  private evictOne (): boolean {
    let victim: string | undefined
    let oldest = Infinity
    for (const id of this.liveness.peerIds()) {
      const seen = this.liveness.lastSeen(id) ?? 0
      if (this.liveness.liveness(id) === 'out' && seen < oldest) {
        oldest = seen
        victim = id
      }
    }
    if (victim === undefined) return false
    this.forget(victim)
    return true
  }

  private evaluateOne (id: string, recordChanged: boolean): void {
    const signed = this.records.get(id)
    if (signed == null) return
    const now = this.init.now()
    const change = this.liveness.update(id, signed.record.state === 'leaving', now)
    const events: MemberEventName[] = []
    if (change != null) {
      const [prev, next] = change
      if (next === 'up') events.push(prev === 'suspect' ? 'member:updated' : 'member:joined')
      else if (next === 'suspect') events.push(...(prev === undefined ? ['member:joined' as const] : []), 'member:suspect')
      else if (prev !== undefined) events.push(`member:${next}` as MemberEventName)
    }
    // a liveness event already carries the new record
    if (recordChanged && events.length === 0) events.push('member:updated')
    this.project(id)
    if (events.length === 0) return
    const member = this.member(id)
    if (member == null) return
    for (const name of events) this.init.emit(name, member)
  }

  /** Updates the placement projection of one member; bumps the version on change. */
  private project (id: string): void {
    const node = this.clusterNode(id)
    const key = node == null ? undefined : `${node.state}|${node.weight}|${node.zone}`
    if (this.projection.get(id) === key) return
    if (key === undefined) this.projection.delete(id)
    else this.projection.set(id, key)
    this.version++
    this.cached = undefined
  }

  private selfLiveness (): Liveness {
    return this.selfLeaving ? 'left' : 'up'
  }

  private clusterNode (id: string): ClusterNode | undefined {
    const signed = this.records.get(id)
    if (signed == null) return undefined
    const liveness = id === this.init.selfId ? this.selfLiveness() : this.liveness.liveness(id)
    if (liveness === undefined) return undefined
    const r = signed.record
    return Object.freeze({ peerId: id, weight: r.weight, zone: r.zone, state: placementState(liveness, r) })
  }

  /** An immutable snapshot in placement's shape; `version` grows whenever it changes. */
  getMap (): ClusterMap {
    if (this.cached == null) {
      const nodes: ClusterNode[] = []
      for (const id of [...this.projection.keys()].sort()) {
        const node = this.clusterNode(id)
        if (node != null) nodes.push(node)
      }
      this.cached = Object.freeze({ version: this.version, nodes: Object.freeze(nodes) })
    }
    return this.cached
  }

  member (id: string): Member | undefined {
    const signed = this.records.get(id)
    if (signed == null) return undefined
    const nowWall = Date.now()
    if (id === this.init.selfId) {
      return Object.freeze({ peerId: id, record: signed.record, liveness: this.selfLiveness(), lastSeen: nowWall, since: signed.record.startedAt, self: true })
    }
    const liveness = this.liveness.liveness(id)
    if (liveness === undefined) return undefined
    const now = this.init.now()
    const toWall = (mono: number): number => Math.round(nowWall - (now - mono))
    return Object.freeze({
      peerId: id,
      record: signed.record,
      liveness,
      lastSeen: toWall(this.liveness.lastSeen(id) ?? now),
      since: toWall(this.liveness.since(id) ?? now),
      self: false
    })
  }

  members (): Member[] {
    const out: Member[] = []
    for (const signed of this.records.values()) {
      const m = this.member(signed.record.peerId)
      if (m != null) out.push(m)
    }
    return out.sort((a, b) => a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)
  }

  /** The sync digest: every record held, with how long ago its member was heard from. */
  digest (): DigestEntry[] {
    const now = this.init.now()
    const out: DigestEntry[] = []
    for (const signed of this.records.values()) {
      const id = signed.record.peerId
      const ageMs = id === this.init.selfId ? 0 : now - (this.liveness.lastSeen(id) ?? now)
      out.push({ peerId: id, seq: signed.record.seq, ageMs })
    }
    return out
  }

  lookup (peerId: string): { seq: number, bytes: Uint8Array, ageMs: number } | undefined {
    const signed = this.records.get(peerId)
    if (signed == null) return undefined
    const now = this.init.now()
    const ageMs = peerId === this.init.selfId ? 0 : now - (this.liveness.lastSeen(peerId) ?? now)
    return { seq: signed.record.seq, bytes: signed.bytes, ageMs }
  }
}
