import { WeftError } from '@weft/protocol'

/** One replica's failure, as reported in a QuorumError. */
export interface ReplicaFailure {
  readonly peer: string
  readonly code: string
  readonly message: string
}

/**
 * Fewer than a majority of a ref's replicas (after hand-off to every
 * fallback) acknowledged a write or answered a read: the operation did not
 * happen (a write may still be on a minority; a later write or read repair
 * settles it).
 */
export class QuorumError extends WeftError {
  static override readonly code = 'ERR_QUORUM'
  readonly needed: number
  readonly answered: number
  readonly failures: readonly ReplicaFailure[]

  constructor (message: string, details: { needed: number, answered: number, failures: readonly ReplicaFailure[] }) {
    super(message)
    this.needed = details.needed
    this.answered = details.answered
    this.failures = details.failures
  }
}

/**
 * A listing could not be completed: more nodes failed than the bucket's
 * replication can cover (a key acknowledged by a majority might be on no
 * node that answered). Retry later.
 */
export class ListIncompleteError extends WeftError {
  static override readonly code = 'ERR_LIST_INCOMPLETE'
  readonly failures: readonly ReplicaFailure[]

  constructor (message: string, failures: readonly ReplicaFailure[]) {
    super(message)
    this.failures = failures
  }
}
