/**
 * The rendezvous key of one (partition, peer) pair, for tools, other
 * implementations and tests that want to check the ranking maths directly.
 */
import { lnUnit, nodeSeed, unitHash } from './hash.js'

export interface RendezvousKey {
  /** the 52-bit hash x (u = (x + 0.5) / 2^52) */
  readonly hash: number
  /** ln(u) by the portable series */
  readonly lnU: number
  /** ln(u) / weight: higher ranks first */
  readonly key: number
}

export function rendezvousKey (peerId: string, weight: number, partition: number): RendezvousKey {
  const [s0, s1] = nodeSeed(peerId)
  const hash = unitHash(s0, s1, partition)
  const lnU = lnUnit(hash)
  return { hash, lnU, key: lnU / weight }
}
