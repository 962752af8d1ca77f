/**
 * The client's view of the members: the merged signed records (highest seq
 * per peer, protocol's RecordSet) and a simple liveness rule: a member is
 * down when nobody has heard from it for `downAfterMs`, or when its record
 * says it is leaving. Signs of life are its own gossip, a sync it answered,
 * and the ages other members report in syncs. No I/O: time comes from the
 * caller.
 */
import { RecordSet } from '@weft/protocol'
import type { ClusterMap, ClusterNode, NodeState } from '@weft/placement'
import type { MergeResult, NodeRecord, SignedRecord } from '@weft/protocol'

/** One member as the client sees it. */
export interface MeshMember {
  readonly peerId: string
  /** its latest verified record */
  readonly record: NodeRecord
  /** what placement sees: up, draining or down */
  readonly state: NodeState
  /** wall-clock ms when it was last heard from (estimated from ages when heard of through others) */
  readonly lastSeen: number
}

interface Life {
  /** monotonic ms */
  lastSeen: number
  /** highest (seq, beat) heard from the member itself: replays are recognised */
  seq: number
  beat: number
}

export type MemberChange = { kind: 'up' | 'down' | 'updated', member: MeshMember }

export interface MemberViewInit {
  downAfterMs: number
  maxMembers: number
  /** monotonic ms */
  now: () => number
}

export class MemberView {
  readonly records: RecordSet
  private readonly init: MemberViewInit
  private readonly life = new Map<string, Life>()
  private readonly projection = new Map<string, string>()
  private version = 0
  private cached?: ClusterMap

  constructor (init: MemberViewInit) {
    this.init = init
    this.records = new RecordSet({ maxMembers: init.maxMembers })
  }

  /** Merges a verified record; `ageMs` is how long ago its member was heard from (0 when it came from the member itself). */
  ingest (signed: SignedRecord, ageMs: number, direct?: { beat: number }): { result: MergeResult, changes: MemberChange[] } {
    const id = signed.record.peerId
    let result = this.records.merge(signed)
    if (result === 'full' && this.evictOne()) result = this.records.merge(signed)
    if (result === 'full') return { result, changes: [] }
    const now = this.init.now()
    let life = this.life.get(id)
    if (life == null) {
      life = { lastSeen: now - Math.max(0, ageMs), seq: 0, beat: -1 }
      this.life.set(id, life)
    }
    if (direct != null) {
      // a replayed message is no sign of life
      if (result !== 'stale' && this.isFresh(id, signed.record.seq, direct.beat)) {
        life.lastSeen = Math.max(life.lastSeen, now)
        life.seq = signed.record.seq
        life.beat = direct.beat
      }
    } else {
      life.lastSeen = Math.max(life.lastSeen, now - Math.max(0, ageMs))
    }
    return { result, changes: this.evaluate(id, result === 'updated' || result === 'conflict') }
  }

  /** Makes room by forgetting the down member silent for longest; false when every member is live. */
  private evictOne (): boolean {
    let victim: string | undefined
    let oldest = Infinity
    for (const [id, life] of this.life) {
      if (this.projection.get(id)?.startsWith('down|') === true && life.lastSeen < oldest) {
        oldest = life.lastSeen
        victim = id
      }
    }
    if (victim === undefined) return false
    this.records.delete(victim)
    this.life.delete(victim)
    this.projection.delete(victim)
    this.version++
    this.cached = undefined
    return true
  }

  /** True when `(seq, beat)` is newer than anything heard from the member itself. */
  isFresh (peerId: string, seq: number, beat: number): boolean {
    const life = this.life.get(peerId)
    if (life == null) return true
    return seq > life.seq || (seq === life.seq && beat > life.beat)
  }

  /** The member itself spoke (gossip, or it answered a sync). */
  heard (peerId: string, seq?: number, beat?: number): MemberChange[] {
    const life = this.life.get(peerId)
    if (life == null) return []
    life.lastSeen = Math.max(life.lastSeen, this.init.now())
    if (seq !== undefined && beat !== undefined && (seq > life.seq || (seq === life.seq && beat > life.beat))) {
      life.seq = seq
      life.beat = beat
    }
    return this.evaluate(peerId, false)
  }

  /** Re-evaluates every member (call periodically). */
  evaluateAll (): MemberChange[] {
    const changes: MemberChange[] = []
    for (const id of this.life.keys()) changes.push(...this.evaluate(id, false))
    return changes
  }

  private state (id: string): NodeState | undefined {
    const record = this.records.get(id)?.record
    const life = this.life.get(id)
    if (record == null || life == null) return undefined
    if (record.state === 'leaving' || this.init.now() - life.lastSeen >= this.init.downAfterMs) return 'down'
    return record.state === 'draining' ? 'draining' : 'up'
  }

  private evaluate (id: string, recordChanged: boolean): MemberChange[] {
    const record = this.records.get(id)?.record
    const state = this.state(id)
    if (record == null || state == null) return []
    const key = `${state}|${record.weight}|${record.zone}`
    const before = this.projection.get(id)
    if (before === key) return recordChanged ? [{ kind: 'updated', member: this.toMember(id, record, state) }] : []
    this.projection.set(id, key)
    this.version++
    this.cached = undefined
    const wasDown = before == null || before.startsWith('down|')
    const isDown = state === 'down'
    const member = this.toMember(id, record, state)
    if (wasDown && !isDown) return [{ kind: 'up', member }]
    if (!wasDown && isDown) return [{ kind: 'down', member }]
    return before == null ? [] : [{ kind: 'updated', member }]
  }

  private toMember (id: string, record: NodeRecord, state: NodeState): MeshMember {
    const mono = this.life.get(id)?.lastSeen ?? this.init.now()
    return Object.freeze({ peerId: id, record, state, lastSeen: Math.round(Date.now() - (this.init.now() - mono)) })
  }

  /** An immutable snapshot in placement's shape; `version` grows whenever a member's state, weight or zone changes. */
  getMap (): ClusterMap {
    if (this.cached == null) {
      const nodes: ClusterNode[] = []
      for (const id of [...this.projection.keys()].sort()) {
        const record = this.records.get(id)?.record
        const state = this.projection.get(id)?.split('|')[0] as NodeState | undefined
        if (record == null || state == null) continue
        nodes.push(Object.freeze({ peerId: id, weight: record.weight, zone: record.zone, state }))
      }
      this.cached = Object.freeze({ version: this.version, nodes: Object.freeze(nodes) })
    }
    return this.cached
  }

  /** A member with the state the map holds (re-evaluated every check period, like events). */
  member (id: string): MeshMember | undefined {
    const record = this.records.get(id)?.record
    const state = this.projection.get(id)?.split('|')[0] as NodeState | undefined
    return record == null || state == null ? undefined : this.toMember(id, record, state)
  }

  members (): MeshMember[] {
    const out: MeshMember[] = []
    for (const id of [...this.life.keys()].sort()) {
      const m = this.member(id)
      if (m != null) out.push(m)
    }
    return out
  }
}
