import type { NodeMetrics } from './admin/metrics.js'
import type { Liveness, Member, MembershipEvents } from './membership/types.js'
import type { TypedEventTarget } from '@libp2p/interface'

const LIVENESS: readonly Liveness[] = ['up', 'suspect', 'down', 'out', 'left']
const EVENTS = ['member:joined', 'member:updated', 'member:suspect', 'member:down', 'member:out', 'member:left'] as const

/**
 * Keeps the `weft_members{state}` gauge equal to the node's view: recounted
 * on every membership event (a pass over the map; events are rare). Returns
 * the function that detaches it.
 */
export function trackMembers (node: TypedEventTarget<MembershipEvents> & { members(): Member[] }, metrics: NodeMetrics): () => void {
  const recount = (): void => {
    const counts = new Map<Liveness, number>(LIVENESS.map(l => [l, 0]))
    for (const m of node.members()) counts.set(m.liveness, (counts.get(m.liveness) ?? 0) + 1)
    for (const [state, n] of counts) metrics.members.set({ state }, n)
  }
  for (const name of EVENTS) node.addEventListener(name, recount)
  recount()
  return () => {
    for (const name of EVENTS) node.removeEventListener(name, recount)
  }
}
