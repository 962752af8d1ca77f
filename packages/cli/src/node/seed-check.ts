/**
 * Why a node has not joined yet, in words. libp2p's connector retries seeds
 * quietly; a person starting a node wants to know whether the seed is down
 * (keep waiting) or the mesh key is wrong (it never will work). A wrong key
 * shows as a TCP connection that never becomes a libp2p connection: the
 * private-network layer turns every byte into noise, so the handshake hangs.
 */
import { connect } from 'node:net'
import { tcpOf } from '../addr.js'

export type SeedReach = 'listening' | 'refused' | 'no-answer' | 'unknown'

export const TCP_PROBE_TIMEOUT_MS = 3000

/** Whether anything accepts TCP connections at a seed's address. */
export async function probeSeed (seed: string, timeoutMs = TCP_PROBE_TIMEOUT_MS): Promise<SeedReach> {
  const target = tcpOf(seed)
  if (target == null) return 'unknown'
  return new Promise(resolve => {
    const socket = connect({ host: target.host, port: target.port })
    const done = (reach: SeedReach): void => {
      socket.destroy()
      resolve(reach)
    }
    socket.setTimeout(timeoutMs, () => { done('no-answer') })
    socket.once('connect', () => { done('listening') })
    socket.once('error', (err: NodeJS.ErrnoException) => { done(err.code === 'ECONNREFUSED' ? 'refused' : 'no-answer') })
  })
}

export interface JoinDiagnosis {
  /** true when waiting longer cannot help */
  fatal: boolean
  message: string
}

/**
 * Explains a node that is not in a mesh `waitedMs` after starting. `connected`
 * is how many libp2p connections it has.
 */
export async function diagnoseJoin (seeds: string[], connected: number, meshHint: string): Promise<JoinDiagnosis> {
  if (seeds.length === 0) {
    return { fatal: false, message: 'not joined yet: no member it knew from before answers; still trying (pass --seed MULTIADDR of a running member)' }
  }
  if (connected > 0) {
    return { fatal: false, message: 'connected, but not joined yet: the mesh has not answered a membership sync; still trying' }
  }
  const reach = await Promise.all(seeds.map(async s => ({ seed: s, reach: await probeSeed(s) })))
  const listening = reach.filter(r => r.reach === 'listening')
  if (listening.length === reach.length) {
    const seed = listening[0]?.seed ?? ''
    return {
      fatal: true,
      message: `cannot join through ${seed}: it accepts connections but the handshake never completes; is the mesh key right? (${meshHint}; or the seed's /p2p/ id is stale)`
    }
  }
  const first = reach.find(r => r.reach !== 'listening') ?? reach[0]
  const why = first?.reach === 'refused'
    ? 'connection refused (is a node running there? `weft up` starts a local mesh)'
    : first?.reach === 'no-answer' ? 'no answer (is the address right and the port open in the firewall?)' : 'no answer'
  return { fatal: false, message: `not joined yet: cannot reach seed ${first?.seed ?? ''}: ${why}; still trying` }
}
