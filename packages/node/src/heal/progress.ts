/** What the reconciler has done and has left, for /status, metrics and tests. */

export type CopyKind = 'repair' | 'rebalance'

export interface PassReport {
  /** chunks and refs looked at */
  chunksChecked: number
  refsChecked: number
  /** copies made (a copy = one chunk stored on one more owner) */
  chunkCopies: number
  copiedBytes: number
  refCopies: number
  /** local copies removed because every owner confirmed it holds them */
  chunksDeleted: number
  deletedBytes: number
  refsDeleted: number
  /** copies that failed (retried next pass) */
  failed: number
  /** local non-owner copies kept because an owner did not confirm yet (or could not be asked) */
  waiting: number
  /** refs skipped because their bucket's policy could not be read */
  unresolved: number
  durationMs: number
}

export function emptyPass (): PassReport {
  return { chunksChecked: 0, refsChecked: 0, chunkCopies: 0, copiedBytes: 0, refCopies: 0, chunksDeleted: 0, deletedBytes: 0, refsDeleted: 0, failed: 0, waiting: 0, unresolved: 0, durationMs: 0 }
}

/** true when a pass changed nothing and left nothing to wait for: the node is settled */
export function settled (p: PassReport): boolean {
  return p.chunkCopies === 0 && p.refCopies === 0 && p.chunksDeleted === 0 && p.refsDeleted === 0 && p.failed === 0 && p.waiting === 0 && p.unresolved === 0
}

export interface HealTotals {
  passes: number
  chunkCopies: number
  copiedBytes: number
  copiedBytesByKind: Record<CopyKind, number>
  refCopies: number
  chunksDeleted: number
  deletedBytes: number
  refsDeleted: number
}

export interface HealStatus {
  /** running a pass, waiting to retry left-over work, or idle (settled) */
  state: 'running' | 'waiting' | 'idle' | 'stopped'
  /** copy tasks of the pass in progress not yet done, by kind */
  pending: Record<CopyKind, { chunks: number, bytes: number }>
  totals: HealTotals
  lastPass?: PassReport
  /** whether the last pass found nothing to do */
  settled: boolean
  draining: boolean
  /** draining, settled, and holding no chunk and no ref: the node can be removed */
  drained: boolean
}
