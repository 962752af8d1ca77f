/**
 * Validation and normalisation of placement policies, so equal policies share
 * one cache however their allowed zones were spelled or ordered.
 */
import { InvalidPolicyError } from './errors.js'
import { normaliseZonePrefix } from './zones.js'
import type { PlacementPolicy, SpreadLevel } from './types.js'

const LEVELS: ReadonlySet<SpreadLevel> = new Set(['zone', 'rack', 'host'])

export interface NormalisedPolicy {
  readonly replicas: number
  readonly spread: SpreadLevel
  /** sorted, deduplicated, trailing slashes removed; empty = anywhere */
  readonly allowedZones: readonly string[]
  /** equal for policies that place identically */
  readonly key: string
}

export function normalisePolicy (policy: PlacementPolicy): NormalisedPolicy {
  if (policy == null || typeof policy !== 'object') throw new InvalidPolicyError('policy must be an object')
  const { replicas, spread, allowedZones } = policy
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1) {
    throw new InvalidPolicyError(`policy replicas must be an integer >= 1, got ${String(replicas)}`)
  }
  if (!LEVELS.has(spread)) throw new InvalidPolicyError(`policy spread must be zone, rack or host, got ${String(spread)}`)
  if (allowedZones != null && !Array.isArray(allowedZones)) throw new InvalidPolicyError('policy allowedZones must be an array of zone prefixes')
  const zones = new Set<string>()
  for (const z of allowedZones ?? []) {
    if (typeof z !== 'string') throw new InvalidPolicyError('policy allowedZones must hold strings')
    const p = normaliseZonePrefix(z)
    // an empty prefix allows everything, which is what no prefixes already means
    if (p === '') {
      zones.clear()
      break
    }
    zones.add(p)
  }
  const sorted = [...zones].sort()
  return { replicas, spread, allowedZones: sorted, key: `${replicas}|${spread}|${sorted.join('\0')}` }
}
