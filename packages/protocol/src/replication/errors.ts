import { WeftError } from '../errors.js'

/** A replica that did not end up with a copy, and why (its error code). */
export interface ReplicaFailure {
  peer: string
  code: string
  message: string
}

/**
 * A write could not place `replicas` verified copies: every candidate was
 * tried (or there were too few to begin with). Nothing was acknowledged; the
 * copies that were made (`holders`) are orphans for garbage collection.
 */
export class InsufficientReplicasError extends WeftError {
  static override readonly code = 'ERR_INSUFFICIENT_REPLICAS'
  /** peers holding a verified copy despite the failure */
  readonly holders: string[]
  readonly failures: ReplicaFailure[]
  readonly replicas: number

  constructor (message: string, details: { holders: string[], failures: ReplicaFailure[], replicas: number }) {
    super(message)
    this.holders = details.holders
    this.failures = details.failures
    this.replicas = details.replicas
  }
}
