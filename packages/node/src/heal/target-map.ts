/**
 * The map the reconciler places data by. It differs from the live map the
 * write path uses in one way: a member that is merely silent (suspect, down)
 * or stopped gracefully (left) still owns its data until it is declared
 * `out`, so a short blip or a restart copies nothing. Writes made meanwhile
 * were handed off to fallbacks; the reconciler brings them home later.
 */
import type { Member } from '../membership/types.js'
import type { ClusterMap, ClusterNode, NodeState } from '@weft/placement'

function targetState (m: Member): NodeState {
  if (m.liveness === 'out') return 'out'
  return m.record.state === 'draining' ? 'draining' : 'up'
}

export function targetMap (members: readonly Member[], version: number): ClusterMap {
  const nodes: ClusterNode[] = members.map(m => ({ peerId: m.peerId, weight: m.record.weight, zone: m.record.zone, state: targetState(m) }))
  return { version, nodes }
}

/** Equal for two maps that place every partition the same way (order aside). */
export function mapSignature (map: ClusterMap): string {
  return map.nodes.map(n => `${n.peerId} ${n.weight} ${n.zone} ${n.state}`).sort().join('\n')
}
