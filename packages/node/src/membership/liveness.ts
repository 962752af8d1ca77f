/**
 * The local liveness view: when each member was last heard from, and the
 * state that follows from it. Time comes from the caller (a monotonic clock
 * in the node, anything in tests), so the rules are plain arithmetic.
 */
import type { Liveness, MembershipTimings } from './types.js'

interface Entry {
  /** monotonic ms of the last sign of life */
  lastSeen: number
  /** highest (seq, beat) heard directly from the member: replays are recognised */
  seq: number
  beat: number
  liveness?: Liveness
  /** monotonic ms when it entered `liveness` */
  since: number
}

export type LivenessTimings = Pick<MembershipTimings, 'suspectAfterMs' | 'downAfterMs' | 'outAfterMs'>

export class LivenessTable {
  private readonly entries = new Map<string, Entry>()

  constructor (private readonly timings: LivenessTimings) {}

  has (peerId: string): boolean {
    return this.entries.has(peerId)
  }

  /** Starts tracking a member last heard from at `lastSeen`. */
  add (peerId: string, lastSeen: number): void {
    if (!this.entries.has(peerId)) this.entries.set(peerId, { lastSeen, seq: 0, beat: -1, since: lastSeen })
  }

  delete (peerId: string): void {
    this.entries.delete(peerId)
  }

  /** True when `(seq, beat)` is newer than anything heard directly from the member. */
  isFresh (peerId: string, seq: number, beat: number): boolean {
    const e = this.entries.get(peerId)
    if (e == null) return true
    return seq > e.seq || (seq === e.seq && beat > e.beat)
  }

  /** The member spoke (heartbeat or record from itself, or answered a sync). */
  heard (peerId: string, now: number, seq?: number, beat?: number): void {
    const e = this.entries.get(peerId)
    if (e == null) return
    e.lastSeen = Math.max(e.lastSeen, now)
    if (seq !== undefined && beat !== undefined && (seq > e.seq || (seq === e.seq && beat > e.beat))) {
      e.seq = seq
      e.beat = beat
    }
  }

  /** Someone else heard from the member `ageMs` ago. */
  heardOf (peerId: string, now: number, ageMs: number): void {
    const e = this.entries.get(peerId)
    if (e == null) return
    e.lastSeen = Math.max(e.lastSeen, now - Math.max(0, ageMs))
  }

  lastSeen (peerId: string): number | undefined {
    return this.entries.get(peerId)?.lastSeen
  }

  liveness (peerId: string): Liveness | undefined {
    return this.entries.get(peerId)?.liveness
  }

  since (peerId: string): number | undefined {
    return this.entries.get(peerId)?.since
  }

  /** The liveness that the rules give now, without recording it. */
  compute (peerId: string, leaving: boolean, now: number): Liveness | undefined {
    const e = this.entries.get(peerId)
    if (e == null) return undefined
    const silent = now - e.lastSeen
    const t = this.timings
    if (silent >= t.outAfterMs) return 'out'
    if (leaving) return 'left'
    if (silent >= t.downAfterMs) return 'down'
    if (silent >= t.suspectAfterMs) return 'suspect'
    return 'up'
  }

  /** Recomputes and records the liveness; returns [previous, current] when it changed. */
  update (peerId: string, leaving: boolean, now: number): [Liveness | undefined, Liveness] | undefined {
    const e = this.entries.get(peerId)
    const next = this.compute(peerId, leaving, now)
    if (e == null || next === undefined || next === e.liveness) return undefined
    const prev = e.liveness
    e.liveness = next
    e.since = now
    return [prev, next]
  }

  peerIds (): IterableIterator<string> {
    return this.entries.keys()
  }
}
