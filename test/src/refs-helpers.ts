/**
 * Multi-node ref tests: nodes with their ref service, clients connected
 * through a seed, all torn down (clients first) even when a test fails.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { createRefPeerClient, refsTransport } from '@weft/protocol'
import { connectMesh, createBuckets, createRefClient } from './refs-client.js'
import { Harness, TIMINGS, addr, waitFor } from './membership-helpers.js'
import type { Buckets, ConnectMeshInit, MeshConnection, RefClient } from './refs-client.js'
import type { RefService, WeftNode, WeftNodeInit } from '@weft/node'
import type { HybridClock, RecordLocation, RefPeerClient, StoredRecord } from '@weft/protocol'

export { TIMINGS, addr, waitFor }

/** client timings matching the nodes' short test timings */
export const CLIENT_TIMINGS = { downAfterMs: TIMINGS.downAfterMs, resyncMs: 1000, dialTimeoutMs: 2000, connectTimeoutMs: 8000 }

export interface RefNode {
  node: WeftNode
  refs: RefService
}

export interface Client {
  mesh: MeshConnection
  refs: RefClient
  buckets: Buckets
}

export class RefsHarness {
  readonly h = new Harness()
  readonly nodes: RefNode[] = []
  private readonly clients: Client[] = []
  private readonly closers: Array<() => Promise<void>> = []

  /** A started node; its ref service is the one createNode wires in. */
  async node (init: Partial<WeftNodeInit> = {}): Promise<RefNode> {
    const node = await this.h.node(init)
    const n = { node, refs: node.refs }
    this.nodes.push(n)
    return n
  }

  /** A seed and n - 1 nodes joining through it; resolves when every node sees all n up. */
  async cluster (n: number, zones: string[] = []): Promise<RefNode[]> {
    const seed = await this.node({ zone: zones[0] ?? '' })
    const rest = await Promise.all(Array.from({ length: n - 1 }, async (_, i) => this.node({ seeds: [addr(seed.node)], zone: zones[i + 1] ?? '' })))
    const all = [seed, ...rest]
    await waitFor(`${n} nodes up everywhere`, () => all.every(a => all.every(b => a.node.member(b.node.peerId)?.liveness === 'up')))
    return all
  }

  /** A connected client; `clockFor` makes its ref clock (to skew it). */
  async client (seed: WeftNode, init: Partial<ConnectMeshInit> = {}, opts: { clockFor?: (peerId: string) => HybridClock } = {}): Promise<Client> {
    const mesh = await connectMesh({ seeds: [addr(seed)], meshKey: this.h.meshKey, ...init, timings: { ...CLIENT_TIMINGS, ...init.timings } })
    const refs = createRefClient(mesh, opts.clockFor != null ? { clock: opts.clockFor(mesh.peerId) } : {})
    const client = { mesh, refs, buckets: createBuckets({ refs, mesh }, { cacheTtlMs: 300 }) }
    this.clients.push(client)
    return client
  }

  /** A bare per-peer ref client on a mesh connection, to read and write replicas directly. */
  peerClient (mesh: MeshConnection): RefPeerClient {
    const client = createRefPeerClient({ transport: refsTransport(mesh.dialer), requestTimeout: 3000 })
    this.closers.unshift(async () => { await client.close() })
    return client
  }

  async teardown (): Promise<void> {
    await Promise.allSettled(this.clients.map(async c => {
      await c.refs.close()
      await c.mesh.close()
    }))
    const nodesStopped = this.h.teardown()
    await Promise.allSettled(this.closers.map(async c => c()))
    await nodesStopped
  }
}

export function byPeer (nodes: RefNode[], peerId: string): RefNode {
  const n = nodes.find(x => x.node.peerId === peerId)
  if (n == null) throw new Error(`no node ${peerId}`)
  return n
}

/** What one replica holds, read straight from its store. */
export async function held (n: RefNode, loc: RecordLocation): Promise<StoredRecord | undefined> {
  return n.refs.store.get(loc)
}

export function pid (id: string): ReturnType<typeof peerIdFromString> {
  return peerIdFromString(id)
}

/** UTF-8 byte order, the order listings use. */
export function utf8Order (a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}
