/** Types of the garbage collector's public API. */

/** Why an object is reported lost. */
export type LostReason =
  /** no live member holds (part of) its manifest tree */
  | 'manifest-missing'
  /** its manifest tree does not decode, or a node is not where its parent puts it */
  | 'manifest-invalid'
  /** a data chunk its manifest lists is held by no member (every member answered) */
  | 'chunk-missing'

/** An object whose data is gone: reads of it fail (they never return wrong bytes). */
export interface LostObject {
  readonly bucket: string
  readonly key: string
  /** the root manifest id its ref points to */
  readonly manifest: string
  readonly reason: LostReason
  /** which node or chunk, for the operator */
  readonly detail: string
}

/** Why a sweep stopped without deleting (more). */
export type GcSkipReason =
  /** the node or its ref service is not running */
  | 'not-started'
  /** a member that is not out is down or has left: it cannot say what it references */
  | 'member-unreachable'
  /** a member did not answer a REFERENCED query (error or timeout) */
  | 'member-failed'
  /** a member (or this node) could not resolve every manifest its refs point to */
  | 'incomplete'
  /** members joined, left or went down during the sweep */
  | 'membership-changed'

export interface GcSkip {
  readonly reason: GcSkipReason
  /** the member and error, for the operator */
  readonly detail: string
}

/** What one sweep did. */
export interface GcReport {
  /** ms since the epoch */
  readonly startedAt: number
  readonly durationMs: number
  /** chunks held here, stored and untouched for longer than the grace period, that the sweep asked about */
  readonly candidates: number
  /** of those, chunks no member references, deleted */
  readonly deleted: number
  /** bytes of the deleted chunks */
  readonly bytesFreed: number
  /** ref tombstones older than the tombstone grace, removed */
  readonly tombstonesRemoved: number
  /** other members asked (this node answers itself) */
  readonly members: number
  /**
   * set when the sweep stopped early: nothing more was deleted after it (a
   * batch is deleted only once every member has answered it completely)
   */
  readonly skipped?: GcSkip
  /** objects found lost by this node's audit (its refs only) */
  readonly lost: LostObject[]
}
