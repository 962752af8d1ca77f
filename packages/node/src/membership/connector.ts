/**
 * Keeps this node connected: libp2p 3 dials nobody by itself. Until it has
 * joined (one successful sync), and whenever it has no connection at all, it
 * dials the seeds and the members it knew before a restart, with backoff.
 * Afterwards it dials random live members until it is connected to
 * `targetPeers` of them (all when fewer), so gossip has a mesh to run on.
 */
import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import {
  MAX_PARALLEL_MEMBER_DIALS, MEMBER_DIAL_BACKOFF_MAX_MS, MEMBER_DIAL_BACKOFF_MIN_MS, SEED_RETRY_MAX_MS, SEED_RETRY_MIN_MS
} from '../constants.js'
import type { KnownPeer } from '../known-peers.js'
import type { MemberMap } from './member-map.js'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const log = logger('weft:node:connector')

export interface ConnectorInit {
  libp2p: Libp2p
  map: MemberMap
  selfId: string
  seeds: Multiaddr[]
  known: KnownPeer[]
  targetPeers: number
  dialTimeoutMs: number
  /** monotonic ms */
  now: () => number
  /** true once a sync succeeded */
  joined: () => boolean
  /** a seed or a remembered member answered: sync with it to join */
  onBootstrapConnection: (connection: Connection) => void
}

interface Backoff {
  until: number
  delay: number
}

function shuffle<T> (items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const a = items[i] as T
    items[i] = items[j] as T
    items[j] = a
  }
  return items
}

export class Connector {
  private readonly backoff = new Map<string, Backoff>()
  private readonly dialing = new Set<string>()
  private readonly controller = new AbortController()
  private readonly bootstrap: Array<{ key: string, addrs: Multiaddr[] }>

  constructor (private readonly init: ConnectorInit) {
    const targets = init.seeds.map(ma => ({ key: ma.toString(), addrs: [ma] }))
    for (const k of init.known) {
      if (k.peerId === init.selfId) continue
      const addrs = this.toDialable(k.peerId, k.addrs)
      if (addrs.length > 0) targets.push({ key: k.peerId, addrs })
    }
    this.bootstrap = targets.filter(t => !t.addrs.some(a => a.getComponents().some(c => c.name === 'p2p' && c.value === init.selfId)))
  }

  stop (): void {
    this.controller.abort(new Error('connector stopped'))
  }

  private toDialable (peerId: string, addrs: readonly string[]): Multiaddr[] {
    const out: Multiaddr[] = []
    for (const a of addrs) {
      try {
        out.push(multiaddr(a).encapsulate(`/p2p/${peerId}`))
      } catch {
        // validated records hold parseable addrs; known-peers files may not
      }
    }
    return out
  }

  /** One round of connection upkeep; call every heartbeat. */
  tick (): void {
    if (this.controller.signal.aborted) return
    if (this.backoff.size > 4096) this.backoff.clear()
    const connected = new Set(this.init.libp2p.getPeers().map(p => p.toString()))
    const isolated = connected.size === 0
    if (!this.init.joined() || isolated) {
      for (const target of this.bootstrap) this.dial(target.key, target.addrs, true, SEED_RETRY_MIN_MS, SEED_RETRY_MAX_MS)
    }
    const live: string[] = []
    let connectedMembers = 0
    for (const m of this.init.map.members()) {
      // cut off from everyone, we are the one who went silent: try members we think are down too
      const eligible = m.liveness === 'up' || m.liveness === 'suspect' || (isolated && (m.liveness === 'down' || m.liveness === 'left'))
      if (m.self || !eligible || m.record.addrs.length === 0) continue
      if (connected.has(m.peerId)) connectedMembers++
      else live.push(m.peerId)
    }
    let need = Math.min(this.init.targetPeers, connectedMembers + live.length) - connectedMembers
    for (const id of shuffle(live)) {
      if (need <= 0 || this.dialing.size >= MAX_PARALLEL_MEMBER_DIALS) break
      const record = this.init.map.records.get(id)?.record
      if (record == null) continue
      if (this.dial(id, this.toDialable(id, record.addrs), false, MEMBER_DIAL_BACKOFF_MIN_MS, MEMBER_DIAL_BACKOFF_MAX_MS)) need--
    }
  }

  /** Starts a dial unless one is running or the target is backing off; returns whether it started. */
  private dial (key: string, addrs: Multiaddr[], bootstrap: boolean, minDelay: number, maxDelay: number): boolean {
    const now = this.init.now()
    if (this.dialing.has(key) || addrs.length === 0) return false
    const b = this.backoff.get(key)
    if (b != null && now < b.until) return false
    this.dialing.add(key)
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.init.dialTimeoutMs)])
    this.init.libp2p.dial(addrs, { signal })
      .then(connection => {
        this.backoff.delete(key)
        if (bootstrap) this.init.onBootstrapConnection(connection)
      }, err => {
        const delay = Math.min(maxDelay, b == null ? minDelay : b.delay * 2)
        this.backoff.set(key, { until: this.init.now() + delay, delay })
        log('dial %s failed, retry in %d ms - %e', key, delay, err)
      })
      .finally(() => { this.dialing.delete(key) })
    return true
  }
}
