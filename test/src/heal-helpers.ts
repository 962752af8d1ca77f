/**
 * Self-healing tests: a mesh of in-process nodes with short heal timings, a
 * bucket of small multi-chunk objects, and checks of where every chunk and
 * ref sits against the reconciler's target map.
 */
import { createPlacement, partitionOfDigest, partitionOfRef } from '@weft/placement'
import { recordLocation } from '@weft/protocol'
import { passSettled } from '@weft/node'
import { ClientHarness, addr, patternBytes, sha256Hex, waitFor } from './client-harness.js'
import type { WeftClient } from '@weft/client'
import type { HealInit, WeftNode, WeftNodeInit } from '@weft/node'
import type { PlacementPolicy } from '@weft/placement'

/** quick passes, no bandwidth limit: tests wait for settling, not for the throttle */
export const HEAL: HealInit = { settleMs: 300, retryMs: 200, sweepMs: 60_000, bytesPerSecond: 0 }

export const BUCKET = 'heal'
export const POLICY = { replicas: 3, chunkSize: 8 * 1024 }
const PLACEMENT: PlacementPolicy = { replicas: 3, spread: 'zone', allowedZones: [] }

export class HealHarness extends ClientHarness {
  readonly objects = new Map<string, string>()

  async healNode (init: Partial<WeftNodeInit> = {}): Promise<WeftNode> {
    return this.node({ heal: HEAL, ...init })
  }

  /** `n` nodes in zones z0..z(n-1) joined through the first. */
  async healCluster (n: number, init: Partial<WeftNodeInit> = {}): Promise<WeftNode[]> {
    const seed = await this.healNode({ ...init, zone: 'z0' })
    const rest = await Promise.all(Array.from({ length: n - 1 }, async (_, i) => this.healNode({ ...init, seeds: [addr(seed)], zone: `z${i + 1}` })))
    const all = [seed, ...rest]
    await this.converged(all)
    return all
  }

  /** `count` objects of 2.5 chunks each (plus a manifest chunk), remembered by hash. */
  async fill (client: WeftClient, count: number, prefix = 'obj'): Promise<void> {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++
        const bytes = patternBytes(POLICY.chunkSize * 2 + 4000 + i, i + 1)
        const key = `${prefix}/${i}`
        await client.put(BUCKET, key, bytes)
        this.objects.set(key, sha256Hex(bytes))
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
  }

  /** Resolves once `observer` sees `peerId` out. */
  async waitOut (observer: WeftNode, peerId: string): Promise<void> {
    await waitFor(`${short(peerId)} out`, () => observer.member(peerId)?.liveness === 'out', 20_000)
  }

  /** Reads every remembered object; returns the keys that failed or came back wrong. */
  async readAll (client: WeftClient): Promise<string[]> {
    const bad: string[] = []
    for (const [key, hex] of this.objects) {
      try {
        if (sha256Hex(await client.get(BUCKET, key).bytes()) !== hex) bad.push(`${key}: wrong bytes`)
      } catch (err) {
        bad.push(`${key}: ${(err as Error).message}`)
      }
    }
    return bad
  }
}

/** Runs passes on every node until one round changes nothing anywhere. */
export async function settleAll (nodes: WeftNode[], timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const reports = await Promise.all(nodes.map(async n => n.heal!.runOnce()))
    if (reports.every(passSettled)) return
    if (Date.now() > until) throw new Error(`not settled after ${timeoutMs} ms: ${JSON.stringify(reports)}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** Bytes of chunks copied by background work, summed over `nodes`. */
export async function copiedBytes (nodes: WeftNode[]): Promise<number> {
  let sum = 0
  for (const n of nodes) sum += (await n.healStatus()).totals.copiedBytes
  return sum
}

export interface Placed {
  /** chunk id -> holders (peer ids) */
  holders: Map<string, Set<string>>
  sizes: Map<string, number>
  /** chunks whose holders differ from their owners under the target map */
  misplaced: string[]
  /** chunks with fewer than r holders */
  underReplicated: string[]
  /** refs whose holders differ from their owners */
  misplacedRefs: string[]
}

/** Where every chunk and ref held by `nodes` sits, against the target map `nodes[0]` computes. */
export async function placed (nodes: WeftNode[]): Promise<Placed> {
  const placement = createPlacement(nodes[0]!.heal!.targetMap())
  const holders = new Map<string, Set<string>>()
  const sizes = new Map<string, number>()
  const partitions = new Map<string, number>()
  for (const n of nodes) {
    for await (const c of n.store.list()) {
      const key = c.cid.toString()
      let set = holders.get(key)
      if (set == null) holders.set(key, set = new Set())
      set.add(n.peerId)
      sizes.set(key, c.size)
      partitions.set(key, partitionOfDigest(c.cid.multihash.digest))
    }
  }
  const misplaced: string[] = []
  const underReplicated: string[] = []
  for (const [key, set] of holders) {
    const owners = placement.replicaSet(partitions.get(key)!, PLACEMENT).nodes.map(x => x.peerId)
    if (set.size < PLACEMENT.replicas) underReplicated.push(key)
    if (set.size !== owners.length || !owners.every(o => set.has(o))) misplaced.push(`${key}: on ${[...set].map(short).join(',')}, owners ${owners.map(short).join(',')}`)
  }
  const refHolders = new Map<string, Set<string>>()
  for (const n of nodes) {
    for await (const r of n.refs.store.records()) {
      const loc = recordLocation(r)
      if (loc.bucket !== BUCKET) continue
      const key = loc.key
      let set = refHolders.get(key)
      if (set == null) refHolders.set(key, set = new Set())
      set.add(n.peerId)
    }
  }
  const misplacedRefs: string[] = []
  for (const [key, set] of refHolders) {
    const owners = placement.replicaSet(partitionOfRef(BUCKET, key), PLACEMENT).nodes.map(x => x.peerId)
    if (set.size !== owners.length || !owners.every(o => set.has(o))) misplacedRefs.push(`${key}: on ${[...set].map(short).join(',')}, owners ${owners.map(short).join(',')}`)
  }
  return { holders, sizes, misplaced, underReplicated, misplacedRefs }
}

export function short (peerId: string): string {
  return peerId.slice(-6)
}

/** A loop reading random remembered objects until stopped; counts reads and failures. */
export function readerLoop (h: HealHarness, client: WeftClient): { stop(): Promise<{ reads: number, errors: string[] }> } {
  let stopped = false
  const errors: string[] = []
  let reads = 0
  const keys = [...h.objects.keys()]
  const loop = (async () => {
    let i = 0
    while (!stopped) {
      const key = keys[(i++ * 7919) % keys.length]!
      try {
        const hex = sha256Hex(await client.get(BUCKET, key).bytes())
        if (hex !== h.objects.get(key)) errors.push(`${key}: wrong bytes`)
      } catch (err) {
        errors.push(`${key}: ${(err as Error).message}`)
      }
      reads++
    }
  })()
  return {
    async stop () {
      stopped = true
      await loop
      return { reads, errors }
    }
  }
}

export { addr, waitFor }
