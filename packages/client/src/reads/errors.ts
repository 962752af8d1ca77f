import { WeftError } from '@weft/protocol'
import type { ReplicaFailure } from '@weft/protocol'

/**
 * No replica could serve a chunk: each was tried and failed (or there was
 * none to try). `failures` says what each one answered.
 */
export class ChunkUnavailableError extends WeftError {
  static override readonly code = 'ERR_CHUNK_UNAVAILABLE'
  readonly cid: string
  readonly failures: readonly ReplicaFailure[]

  constructor (cid: string, failures: readonly ReplicaFailure[]) {
    const detail = failures.length === 0
      ? 'no replica is known for it (is the mesh reachable?)'
      : failures.map(f => `${f.peer.slice(-8)}: ${f.code}`).join(', ')
    super(`no replica could serve chunk ${cid}: ${detail}`)
    this.cid = cid
    this.failures = failures
  }
}

/** One attempt on one replica took longer than the attempt timeout. */
export class AttemptTimeoutError extends WeftError {
  static override readonly code = 'ERR_TIMEOUT'
}

/** Set on attempts that lost a hedge race; never surfaces to callers. */
export class HedgeLostError extends WeftError {
  static override readonly code = 'ERR_CANCELLED'
}
