/**
 * The set of node records a peer knows: a state-based CRDT. For each peer the
 * record with the highest seq wins; two different records with the same seq
 * (only a broken or hostile signer makes them) are ordered by their bytes, so
 * every holder converges on the same winner whatever the order of arrival.
 *
 * It holds verified records only (see openRecord) and at most `maxMembers`.
 */
import { compare } from 'uint8arrays/compare'
import { equals } from 'uint8arrays/equals'
import { DEFAULT_MAX_MEMBERS } from './constants.js'
import type { SignedRecord } from './envelope.js'

/**
 * - `added`: first record of this peer
 * - `updated`: a higher seq replaced the held record
 * - `duplicate`: the same record is already held
 * - `stale`: a lower seq than the held record
 * - `conflict`: same seq, different content (equivocation); the byte order decided
 * - `full`: a new peer while the set holds `maxMembers`
 */
export type MergeResult = 'added' | 'updated' | 'duplicate' | 'stale' | 'conflict' | 'full'

export interface RecordSetInit {
  /**
   * most records held
   *
   * @default 4096
   */
  maxMembers?: number
}

export class RecordSet {
  readonly maxMembers: number
  private readonly records = new Map<string, SignedRecord>()

  constructor (init: RecordSetInit = {}) {
    this.maxMembers = init.maxMembers ?? DEFAULT_MAX_MEMBERS
  }

  get size (): number {
    return this.records.size
  }

  get (peerId: string): SignedRecord | undefined {
    return this.records.get(peerId)
  }

  has (peerId: string): boolean {
    return this.records.has(peerId)
  }

  values (): IterableIterator<SignedRecord> {
    return this.records.values()
  }

  /** Merges one verified record. */
  merge (signed: SignedRecord): MergeResult {
    const id = signed.record.peerId
    const held = this.records.get(id)
    if (held == null) {
      if (this.records.size >= this.maxMembers) return 'full'
      this.records.set(id, signed)
      return 'added'
    }
    if (signed.record.seq > held.record.seq) {
      this.records.set(id, signed)
      return 'updated'
    }
    if (signed.record.seq < held.record.seq) return 'stale'
    if (equals(signed.bytes, held.bytes)) return 'duplicate'
    if (compare(signed.bytes, held.bytes) > 0) this.records.set(id, signed)
    return 'conflict'
  }

  /** Forgets a peer (its record may come back through a later merge). */
  delete (peerId: string): boolean {
    return this.records.delete(peerId)
  }
}
