/**
 * Test helpers: a seeded PRNG, random cluster maps and policies, and a
 * deliberately naive reference of the selection rule (straight from the README
 * wording, full sort, no pruning, no caches) to check the fast path against.
 */
import { rendezvousKey } from '../src/index.js'
import type { ClusterMap, ClusterNode, NodeState, PlacementPolicy, SpreadLevel } from '../src/index.js'

/** mulberry32: tiny, seeded, good enough to generate test inputs. */
export function prng (seed: number): () => number {
  let s = seed | 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function pick<T> (rnd: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rnd() * items.length)]
  if (item === undefined) throw new Error('pick from an empty list')
  return item
}

export function int (rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1))
}

export function shuffle<T> (rnd: () => number, items: readonly T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    const a = out[i] as T
    out[i] = out[j] as T
    out[j] = a
  }
  return out
}

const REGIONS = ['eu', 'us', 'ap']
const DCS = ['dc1', 'dc2']

/** A random zone path, sometimes with fewer than four segments. */
export function randomZone (rnd: () => number): string {
  const full = `${pick(rnd, REGIONS)}/${pick(rnd, DCS)}/r${int(rnd, 1, 3)}/h${int(rnd, 1, 6)}`
  const cut = rnd()
  if (cut < 0.05) return full.split('/').slice(0, 2).join('/')
  if (cut < 0.1) return full.split('/').slice(0, 3).join('/') + '/'
  return full
}

export function randomState (rnd: () => number, upShare = 0.75): NodeState {
  const x = rnd()
  if (x < upShare) return 'up'
  return pick(rnd, ['draining', 'down', 'out'] as const)
}

export function randomWeight (rnd: () => number): number {
  const x = rnd()
  if (x < 0.5) return int(rnd, 1, 4)
  if (x < 0.8) return Math.round(rnd() * 4e12) + 1e9 // a capacity in bytes
  return 0.05 + rnd() * 10
}

export function randomNode (rnd: () => number, id: string): ClusterNode {
  return { peerId: id, weight: randomWeight(rnd), zone: randomZone(rnd), state: randomState(rnd) }
}

export function randomMap (rnd: () => number, size: number, prefix = 'peer'): ClusterMap {
  const nodes: ClusterNode[] = []
  for (let i = 0; i < size; i++) nodes.push(randomNode(rnd, `12D3KooW${prefix}${i}x${Math.floor(rnd() * 1e9).toString(36)}`))
  return { version: 1, nodes }
}

const ZONE_CHOICES: ReadonlyArray<readonly string[]> = [[], [], ['eu'], ['us/dc1'], ['eu/', 'ap'], ['eu/dc2/r1'], ['us', 'eu/dc1/']]

export function randomPolicy (rnd: () => number): PlacementPolicy {
  return {
    replicas: int(rnd, 1, 4),
    spread: pick(rnd, ['zone', 'rack', 'host'] as const),
    allowedZones: pick(rnd, ZONE_CHOICES)
  }
}

// ---- the reference rule, written from the README without looking at src ----

const DEPTH: Record<SpreadLevel, number> = { zone: 2, rack: 3, host: 4 }

export function refDomain (zone: string, level: SpreadLevel): string {
  const segs = zone.split('/').slice(0, 4)
  while (segs.length < 4) segs.push('')
  return JSON.stringify(segs.slice(0, DEPTH[level]))
}

export function refAllowed (zone: string, allowed: readonly string[] | undefined): boolean {
  const prefixes = (allowed ?? []).map(p => p.replace(/\/+$/, ''))
  if (prefixes.length === 0 || prefixes.includes('')) return true
  const z = zone.split('/')
  return prefixes.some(p => p.split('/').every((seg, i) => (z[i] ?? '') === seg))
}

/** All nodes, best first: key desc, then peer id ascending. */
export function refRanking (map: ClusterMap, partition: number): ClusterNode[] {
  const keyed = map.nodes.map(n => ({ n, k: rendezvousKey(n.peerId, n.weight, partition).key }))
  keyed.sort((a, b) => b.k - a.k || (a.n.peerId < b.n.peerId ? -1 : a.n.peerId > b.n.peerId ? 1 : 0))
  return keyed.map(x => x.n)
}

export interface RefAnswer { nodes: ClusterNode[], degraded: boolean, eligible: ClusterNode[], domains: number }

/** The replica set by the rule as written; nodes is empty when unsatisfiable (eligible < r). */
export function refReplicaSet (map: ClusterMap, policy: PlacementPolicy, partition: number): RefAnswer {
  const r = policy.replicas
  const eligible = refRanking(map, partition).filter(n => n.state === 'up' && refAllowed(n.zone, policy.allowedZones))
  const domains = new Set(eligible.map(n => refDomain(n.zone, policy.spread))).size
  if (eligible.length < r) return { nodes: [], degraded: domains < r, eligible, domains }
  if (domains >= r) {
    const taken = new Set<string>()
    const nodes: ClusterNode[] = []
    for (const n of eligible) {
      const d = refDomain(n.zone, policy.spread)
      if (taken.has(d)) continue
      taken.add(d)
      nodes.push(n)
      if (nodes.length === r) break
    }
    return { nodes, degraded: false, eligible, domains }
  }
  const seen = new Map<string, number>()
  const depth = eligible.map(n => {
    const d = refDomain(n.zone, policy.spread)
    const k = seen.get(d) ?? 0
    seen.set(d, k + 1)
    return k
  })
  const order = eligible.map((n, i) => ({ n, i, d: depth[i] as number })).sort((a, b) => a.d - b.d || a.i - b.i)
  return { nodes: order.slice(0, r).map(x => x.n), degraded: true, eligible, domains }
}

export function ids (nodes: readonly ClusterNode[]): string[] {
  return nodes.map(n => n.peerId)
}
