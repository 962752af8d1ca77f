/**
 * This node's own record: the fields it announces, patched at run time, and
 * signed with a fresh, persisted seq whenever it changed.
 */
import { signRecord, validateRecord } from '@weft/protocol'
import type { SeqStore } from '../seq.js'
import type { RecordPatch } from './types.js'
import type { PrivateKey } from '@libp2p/interface'
import type { NodeRecord, SignedRecord } from '@weft/protocol'

export type RecordFields = Omit<NodeRecord, 'seq'>

export class SelfRecord {
  private fields: RecordFields
  private signed?: SignedRecord
  private dirty = true
  private issuing?: Promise<SignedRecord>

  constructor (private readonly privateKey: PrivateKey, private readonly seqs: SeqStore, fields: RecordFields) {
    validateRecord({ ...fields, seq: 1 })
    this.fields = fields
  }

  get current (): SignedRecord | undefined {
    return this.signed
  }

  get pending (): RecordFields {
    return this.fields
  }

  /** True when fields changed since the last signed record. */
  get changed (): boolean {
    return this.dirty
  }

  /**
   * Applies a patch to the next record; throws InvalidRecordError (and
   * changes nothing) when the result is not a valid record.
   */
  patch (patch: RecordPatch | Pick<RecordFields, 'addrs'> | { state: 'leaving' }): void {
    const next = { ...this.fields, ...patch }
    validateRecord({ ...next, seq: 1 })
    if (JSON.stringify(next) === JSON.stringify(this.fields)) return
    this.fields = next
    this.dirty = true
  }

  /** A seq at least this high exists (e.g. our data dir was restored from an old copy). */
  async skipPast (seq: number): Promise<void> {
    await this.seqs.skipPast(seq)
    this.dirty = true
  }

  /** Signs the current fields with the next seq (serialised; concurrent callers share one). */
  async issue (): Promise<SignedRecord> {
    if (this.issuing != null) return this.issuing
    this.issuing = (async () => {
      this.dirty = false
      const fields = this.fields
      try {
        const seq = await this.seqs.next()
        this.signed = await signRecord({ ...fields, seq }, this.privateKey)
        return this.signed
      } catch (err) {
        this.dirty = true
        throw err
      }
    })()
    try {
      return await this.issuing
    } finally {
      this.issuing = undefined
    }
  }
}
