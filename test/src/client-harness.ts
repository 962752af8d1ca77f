/**
 * Multi-node client tests: real nodes (store, chunk and ref services) on
 * 127.0.0.1 and WeftClients connected through a seed, all torn down
 * (clients first) even when a test fails.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { connect } from '@weft/client'
import { createRefService } from '@weft/node'
import { startDelayProxy, freePort } from './client-delay-proxy.js'
import { Harness, TIMINGS, addr, waitFor } from './membership-helpers.js'
import type { DelayProxy } from './client-delay-proxy.js'
import type { WeftClient, WeftClientInit } from '@weft/client'
import type { RefService, WeftNode, WeftNodeInit } from '@weft/node'
import type { CID } from 'multiformats/cid'

export { TIMINGS, addr, waitFor }

/** client timings matching the nodes' short test timings */
export const CLIENT_TIMINGS = { downAfterMs: TIMINGS.downAfterMs, resyncMs: 1000, dialTimeoutMs: 2000, connectTimeoutMs: 8000 }

export const MiB = 1024 * 1024

export class ClientHarness {
  readonly h = new Harness()
  readonly nodes: WeftNode[] = []
  readonly proxies: DelayProxy[] = []
  private readonly clients: WeftClient[] = []
  private readonly services: RefService[] = []

  /** A started node with its ref service (the node's own when createNode wires one in). */
  async node (init: Partial<WeftNodeInit> = {}): Promise<WeftNode> {
    const node = await this.h.node({ capacityBytes: 2 * 1024 * MiB, ...init })
    if ((node as unknown as { refs?: RefService }).refs == null) {
      const refs = createRefService({ libp2p: node.libp2p, dir: node.dataDir, isMember: peer => node.member(peer.toString()) != null })
      await refs.start()
      this.services.push(refs)
    }
    this.nodes.push(node)
    return node
  }

  /** A node behind a delay proxy: it announces the proxy's address, so every peer dials it through the delay. */
  async slowNode (delayMs: number, init: Partial<WeftNodeInit> = {}): Promise<{ node: WeftNode, proxy: DelayProxy }> {
    const port = await freePort()
    const proxy = await startDelayProxy(port, delayMs)
    this.proxies.push(proxy)
    const node = await this.node({ ...init, listen: [`/ip4/127.0.0.1/tcp/${port}`], announce: [`/ip4/127.0.0.1/tcp/${proxy.port}`] })
    return { node, proxy }
  }

  /** A seed and n - 1 nodes joining through it (zones by index); resolves when every node sees all up. */
  async cluster (n: number, zones: string[] = []): Promise<WeftNode[]> {
    const seed = await this.node({ zone: zones[0] ?? '' })
    const rest = await Promise.all(Array.from({ length: n - 1 }, async (_, i) => this.node({ seeds: [addr(seed)], zone: zones[i + 1] ?? '' })))
    const all = [seed, ...rest]
    await this.converged(all)
    return all
  }

  async converged (nodes: WeftNode[] = this.nodes): Promise<void> {
    await waitFor(`${nodes.length} nodes up everywhere`, () => nodes.every(a => nodes.every(b => a.member(b.peerId)?.liveness === 'up')))
  }

  /** A client through `seed`; resolves once its map shows every started node up. */
  async client (seed: WeftNode, init: Partial<WeftClientInit> = {}): Promise<WeftClient> {
    const client = await connect({
      seeds: [addr(seed)],
      meshKey: this.h.meshKey,
      ...init,
      timings: { ...CLIENT_TIMINGS, ...init.timings },
      buckets: { cacheTtlMs: 500, ...init.buckets }
    })
    this.clients.push(client)
    const ids = this.nodes.filter(n => n.status === 'started').map(n => n.peerId)
    await waitFor('client map complete', () => {
      const map = client.mesh.getMap()
      return ids.every(id => map.nodes.some(x => x.peerId === id && x.state === 'up'))
    })
    return client
  }

  async teardown (): Promise<void> {
    await Promise.allSettled(this.clients.map(async c => c.close()))
    await Promise.allSettled(this.services.map(async s => s.stop()))
    await this.h.teardown()
    await Promise.allSettled(this.proxies.map(async p => p.close()))
  }
}

/** Deterministic pseudo-random bytes (xorshift), fast enough for hundreds of MiB. */
export function patternBytes (size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size)
  const words = new Uint32Array(out.buffer, 0, size >>> 2)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  for (let i = words.length * 4; i < size; i++) out[i] = (seed + i) & 0xff
  return out
}

/** `total` bytes as a stream of `piece`-sized pieces, generated as read (never all in memory). */
export async function * patternStream (total: number, piece = MiB, seed = 1): AsyncGenerator<Uint8Array> {
  const block = patternBytes(piece, seed)
  for (let at = 0, i = 0; at < total; at += piece, i++) {
    const n = Math.min(piece, total - at)
    // vary each piece so no two chunks are equal (equal chunks would dedupe)
    const out = Uint8Array.from(block.subarray(0, n))
    new DataView(out.buffer).setUint32(0, i)
    yield out
  }
}

export function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export async function hashStream (source: AsyncIterable<Uint8Array>): Promise<{ hex: string, bytes: number }> {
  const h = createHash('sha256')
  let bytes = 0
  for await (const b of source) {
    h.update(b)
    bytes += b.byteLength
  }
  return { hex: h.digest('hex'), bytes }
}

/** Chunk ids a node's store holds. */
export async function storedCids (node: WeftNode): Promise<Set<string>> {
  const out = new Set<string>()
  for await (const c of node.store.list()) out.add(c.cid.toString())
  return out
}

/** Flips one byte in the middle of a node's file for chunk `cid` (on disk, behind the store's back). */
export async function corruptChunkFile (node: WeftNode, cid: CID | string): Promise<string> {
  const name = cid.toString()
  const file = await findFile(path.join(node.dataDir, 'chunks'), name)
  if (file === undefined) throw new Error(`node ${node.peerId} has no file for ${name}`)
  const bytes = await readFile(file)
  const at = bytes.length >> 1
  bytes[at] = (bytes[at] ?? 0) ^ 0xff
  await writeFile(file, bytes)
  return file
}

async function findFile (dir: string, name: string): Promise<string | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      const found = await findFile(p, name)
      if (found !== undefined) return found
    } else if (entry.name === name) {
      return p
    }
  }
  return undefined
}

/** Chunk gets a node has answered, by outcome, from its metrics. */
export async function servedGets (node: WeftNode): Promise<{ ok: number, failed: number }> {
  const metric = await node.metrics.requests.get()
  let ok = 0
  let failed = 0
  for (const v of metric.values) {
    if (v.labels.op !== 'get') continue
    if (v.labels.status === 'OK') ok += v.value
    else failed += v.value
  }
  return { ok, failed }
}
