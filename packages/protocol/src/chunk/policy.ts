/**
 * The placement policy a chunk was written under, carried by PUT and kept by
 * every replica, so the background reconciler knows where each chunk it holds
 * belongs without reading manifests. Structurally `@weft/placement`'s
 * `PlacementPolicy` (a bucket policy without its chunk size).
 *
 * Binary form, appended to a PUT request's meta (absent = no policy known):
 * ```
 * count u8 (1..MAX_CHUNK_POLICIES) | per policy: replicas u8 | spread u8 (0 zone, 1 rack, 2 host)
 * | zoneCount u8 | zone bytes8 * zoneCount
 * ```
 */
import { MAX_CHUNK_POLICIES, MAX_POLICY_REPLICAS, MAX_POLICY_ZONE_BYTES, MAX_POLICY_ZONES } from './constants.js'
import { ProtocolError } from './errors.js'
import type { MetaReader, MetaWriter } from './meta.js'

export type ChunkSpread = 'zone' | 'rack' | 'host'

export interface ChunkPolicy {
  readonly replicas: number
  readonly spread: ChunkSpread
  readonly allowedZones?: readonly string[]
}

const SPREADS: readonly ChunkSpread[] = ['zone', 'rack', 'host']
const encoder = new TextEncoder()

/** Throws RangeError unless `policy` fits the wire limits. */
export function validateChunkPolicy (policy: ChunkPolicy): void {
  if (!Number.isInteger(policy.replicas) || policy.replicas < 1 || policy.replicas > MAX_POLICY_REPLICAS) {
    throw new RangeError(`policy replicas must be an integer from 1 to ${MAX_POLICY_REPLICAS}`)
  }
  if (!SPREADS.includes(policy.spread)) throw new RangeError(`policy spread must be one of ${SPREADS.join(', ')}`)
  const zones = policy.allowedZones ?? []
  if (zones.length > MAX_POLICY_ZONES) throw new RangeError(`a policy lists at most ${MAX_POLICY_ZONES} zones`)
  for (const zone of zones) {
    if (typeof zone !== 'string' || encoder.encode(zone).byteLength > MAX_POLICY_ZONE_BYTES) {
      throw new RangeError(`policy zone must be a string of at most ${MAX_POLICY_ZONE_BYTES} bytes`)
    }
  }
}

/** A canonical string per policy: equal policies (zone order aside) give equal keys. */
export function chunkPolicyKey (policy: ChunkPolicy): string {
  return `${policy.replicas}|${policy.spread}|${[...(policy.allowedZones ?? [])].sort().join(',')}`
}

/**
 * `held` plus whichever of `added` it lacks, deduplicated, at most
 * MAX_CHUNK_POLICIES (the first ones win: a chunk keeps the policies it was
 * first written under). Returns `held` itself when nothing was added.
 */
export function mergeChunkPolicies (held: readonly ChunkPolicy[], added: readonly ChunkPolicy[]): readonly ChunkPolicy[] {
  const keys = new Set(held.map(chunkPolicyKey))
  let out: ChunkPolicy[] | undefined
  for (const p of added) {
    const key = chunkPolicyKey(p)
    if (keys.has(key)) continue
    if (keys.size >= MAX_CHUNK_POLICIES) break
    keys.add(key)
    out ??= [...held]
    out.push(normaliseChunkPolicy(p))
  }
  return out ?? held
}

/** A plain copy with only the wire fields (and no empty zone list). */
export function normaliseChunkPolicy (p: ChunkPolicy): ChunkPolicy {
  const zones = p.allowedZones ?? []
  return zones.length > 0 ? { replicas: p.replicas, spread: p.spread, allowedZones: [...zones] } : { replicas: p.replicas, spread: p.spread }
}

export function writeChunkPolicies (w: MetaWriter, policies: readonly ChunkPolicy[]): void {
  if (policies.length === 0) return
  if (policies.length > MAX_CHUNK_POLICIES) throw new RangeError(`a PUT carries at most ${MAX_CHUNK_POLICIES} policies`)
  w.u8(policies.length)
  for (const p of policies) {
    validateChunkPolicy(p)
    w.u8(p.replicas)
    w.u8(SPREADS.indexOf(p.spread))
    const zones = p.allowedZones ?? []
    w.u8(zones.length)
    for (const zone of zones) w.text8(zone)
  }
}

/** Reads the trailing policy list of a PUT (none when the meta ends here). */
export function readChunkPolicies (r: MetaReader): ChunkPolicy[] {
  if (r.remaining === 0) return []
  const count = r.u8()
  if (count < 1 || count > MAX_CHUNK_POLICIES) throw new ProtocolError(`a PUT carries 1 to ${MAX_CHUNK_POLICIES} policies, not ${count}`)
  const out: ChunkPolicy[] = []
  for (let i = 0; i < count; i++) {
    const replicas = r.u8()
    if (replicas < 1 || replicas > MAX_POLICY_REPLICAS) throw new ProtocolError(`policy replicas ${replicas} outside 1..${MAX_POLICY_REPLICAS}`)
    const spread = SPREADS[r.u8()]
    if (spread === undefined) throw new ProtocolError('unknown policy spread')
    const zoneCount = r.u8()
    if (zoneCount > MAX_POLICY_ZONES) throw new ProtocolError(`a policy lists at most ${MAX_POLICY_ZONES} zones`)
    const zones: string[] = []
    for (let j = 0; j < zoneCount; j++) zones.push(r.text8(MAX_POLICY_ZONE_BYTES, 'policy zone'))
    out.push(zones.length > 0 ? { replicas, spread, allowedZones: zones } : { replicas, spread })
  }
  return out
}
