import { WeftError } from '@weft/protocol'

/** No seed answered (dial and record sync) before the connect timeout. */
export class NoSeedReachableError extends WeftError {
  static override readonly code = 'ERR_NO_SEED_REACHABLE'
  /** why each seed failed, last attempt */
  readonly failures: ReadonlyArray<{ seed: string, error: string }>

  constructor (message: string, failures: ReadonlyArray<{ seed: string, error: string }>) {
    super(message)
    this.failures = failures
  }
}

/** The mesh connection was closed. */
export class MeshClosedError extends WeftError {
  static override readonly code = 'ERR_MESH_CLOSED'
}
