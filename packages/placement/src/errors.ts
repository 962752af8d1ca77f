/**
 * Placement depends on nothing of ours, so it has its own error base with a
 * stable `code`, in the same shape as the protocol package's `WeftError`:
 * callers and remote peers match on `code`, never on message text.
 */
export class PlacementError extends Error {
  static readonly code: string = 'ERR_PLACEMENT'
  readonly code: string

  constructor (message: string, code?: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code ?? (new.target as unknown as { code: string }).code
  }
}

/** Details of why a policy cannot be met by a map. */
export interface PolicyUnsatisfiableDetails {
  /** replicas the policy asks for */
  readonly replicas: number
  /** the policy's allowed zone prefixes, normalised; empty means anywhere */
  readonly allowedZones: readonly string[]
  /** `up` nodes inside the allowed zones */
  readonly eligibleNodes: number
  /** all nodes inside the allowed zones, whatever their state */
  readonly nodesInZones: number
  /** distinct failure domains (at the policy's spread level) among eligible nodes */
  readonly domains: number
}

/**
 * The allowed zones hold fewer `up` nodes than the policy's replica count, so
 * no replica set exists. Writes under the policy must fail with this.
 */
export class PolicyUnsatisfiableError extends PlacementError {
  static override readonly code = 'ERR_POLICY_UNSATISFIABLE'
  readonly details: PolicyUnsatisfiableDetails

  constructor (details: PolicyUnsatisfiableDetails) {
    const where = details.allowedZones.length === 0 ? 'anywhere' : `in zones [${details.allowedZones.join(', ')}]`
    super(`policy needs ${details.replicas} replicas ${where} but only ${details.eligibleNodes} eligible (up) node(s) exist there ` +
      `(${details.nodesInZones} node(s) in those zones in any state, ${details.domains} distinct domain(s))`)
    this.details = details
  }
}

/** A cluster map that placement cannot use (bad weight, duplicate peer id, ...). */
export class InvalidMapError extends PlacementError {
  static override readonly code = 'ERR_INVALID_MAP'
}

/** A placement policy that makes no sense (r < 1, unknown spread level, ...). */
export class InvalidPolicyError extends PlacementError {
  static override readonly code = 'ERR_INVALID_POLICY'
}

/** A bad argument to a placement function (partition out of range, digest of the wrong length, ...). */
export class InvalidArgumentError extends PlacementError {
  static override readonly code = 'ERR_INVALID_ARGUMENT'
}
