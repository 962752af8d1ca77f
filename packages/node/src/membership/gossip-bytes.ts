/**
 * Counts gossipsub RPC bytes in and out through gossipsub's metrics hook.
 * Every other gossipsub metric is a no-op: the node only wants the bytes
 * (the admin endpoint may export more later).
 */
import type { MetricsRegister } from '@libp2p/gossipsub/metrics'

export interface GossipBytes {
  in: number
  out: number
}

const RECV = 'gossipsub_rpc_recv_bytes_total'
const SENT = 'gossipsub_rpc_sent_bytes_total'

export function gossipBytesRegister (counts: GossipBytes): MetricsRegister {
  const noopGauge = { inc: () => {}, set: () => {}, addCollect: () => {} }
  const register: MetricsRegister = {
    gauge (config: { name: string }) {
      if (config.name === RECV) return { ...noopGauge, inc: (a?: unknown, b?: number) => { counts.in += typeof a === 'number' ? a : (b ?? 1) } }
      if (config.name === SENT) return { ...noopGauge, inc: (a?: unknown, b?: number) => { counts.out += typeof a === 'number' ? a : (b ?? 1) } }
      return noopGauge
    },
    histogram () {
      return { startTimer: () => () => {}, observe: () => {}, reset: () => {} }
    },
    avgMinMax () {
      return { set: () => {} }
    }
  }
  return register
}
