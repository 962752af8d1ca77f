import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createPlacement, partitionOfDigest } from '@weft/placement'
import { createChunkClient, libp2pTransport, planChunkWrite } from '@weft/protocol'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { waitFor } from './membership-helpers.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { WeftNode } from '@weft/node'
import type { ClusterMap, PlacementPolicy } from '@weft/placement'
import type { ByteDuplex, ChunkClient, ChunkTransport, WritePlan } from '@weft/protocol'

export const POLICY: PlacementPolicy = { replicas: 3, spread: 'host' }

/**
 * Short enough to see a full record within a second, but with room for a
 * loaded 2-core box running several nodes and their fsyncs in one process:
 * a member wrongly suspected mid-test would change nothing here, but down
 * would change the map the chunks are checked against.
 */
export const CHUNK_TIMINGS = { heartbeatMs: 250, suspectAfterMs: 3000, downAfterMs: 8000, outAfterMs: 16_000 }

export interface Chunk { cid: CID, bytes: Uint8Array }

export async function cidOf (bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(bytes))
}

/** A random chunk of `min`..`max` bytes. */
export async function randomChunk (min: number, max: number): Promise<Chunk> {
  const bytes = new Uint8Array(randomBytes(min + Math.floor(Math.random() * (max - min + 1))))
  return { cid: await cidOf(bytes), bytes }
}

/** Every node sees every other up, and all hold the same placement map (same nodes and states). */
export async function waitConverged (nodes: WeftNode[], timeoutMs = 20_000, others: string[] = []): Promise<ClusterMap> {
  const ids = [...nodes.map(n => n.peerId), ...others]
  const key = (n: WeftNode): string => n.getMap().nodes.map(x => `${x.peerId}:${x.state}:${x.weight}:${x.zone}`).join(',')
  await waitFor('map converged', () => {
    if (!nodes.every(n => ids.every(id => n.member(id)?.liveness === 'up'))) return false
    const k = key(nodes[0]!)
    return nodes.every(n => n.getMap().nodes.length === ids.length && key(n) === k)
  }, timeoutMs)
  return nodes[0]!.getMap()
}

/** The replica set placement gives a chunk on `map`. */
export function replicaSetOf (map: ClusterMap, cid: CID, policy = POLICY): string[] {
  return createPlacement(map).replicaSet(partitionOfDigest(cid.multihash.digest), policy).nodes.map(n => n.peerId)
}

/** What a client does: placement over the map it follows, then the writer's rules. */
export function clientPlan (map: ClusterMap, cid: CID, isFull: (peer: string) => boolean = () => false, policy = POLICY): WritePlan {
  const placement = createPlacement(map)
  const p = partitionOfDigest(cid.multihash.digest)
  return planChunkWrite({
    replicaSet: placement.replicaSet(p, policy).nodes.map(n => n.peerId),
    fallbacks: placement.fallbacks(p, policy).map(n => n.peerId),
    replicas: policy.replicas,
    exclude: isFull
  })
}

/**
 * A peer holding the mesh key but no node: what the embeddable client will
 * be. It dials the nodes' addresses, then talks the chunk protocol.
 */
export interface ClientPeer {
  host: Libp2p
  client: ChunkClient
  stop(): Promise<void>
}

export async function clientPeer (meshKey: string, nodes: Array<{ getMultiaddrs(): Array<{ toString(): string }> } | string[]>, wrap?: (t: ChunkTransport) => ChunkTransport): Promise<ClientPeer> {
  const host = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: 4 * 1024 * 1024, maxReadBufferLength: 4 * 1024 * 1024, maxWriteBufferLength: 8 * 1024 * 1024 } })],
    connectionProtector: preSharedKey({ psk: new TextEncoder().encode(meshKey) })
  })
  for (const n of nodes) {
    const addrs = Array.isArray(n) ? n : n.getMultiaddrs().map(String)
    await host.dial(addrs.map(a => multiaddr(a)))
  }
  const base = libp2pTransport(host)
  const client = createChunkClient({ transport: wrap != null ? wrap(base) : base })
  return {
    host,
    client,
    async stop () {
      await client.close()
      await host.stop()
    }
  }
}

/**
 * Paces a transport's writes (so a test can act while a chunk is still on
 * the wire) and reports the bytes written so far.
 */
export function pacedTransport (inner: ChunkTransport, bytesPerTick: number, tickMs: number, onWritten: (total: number) => void): ChunkTransport {
  return async (peer: PeerId, options) => {
    const d = await inner(peer, options)
    let total = 0
    const paced: ByteDuplex = {
      source: d.source,
      async write (bytes, opts) {
        for (let i = 0; i < bytes.byteLength; i += bytesPerTick) {
          const piece = bytes.subarray(i, i + bytesPerTick)
          await d.write(piece, opts)
          total += piece.byteLength
          onWritten(total)
          if (piece.byteLength === bytesPerTick) await new Promise(resolve => setTimeout(resolve, tickMs))
        }
      },
      close: async (opts) => d.close(opts),
      abort: (err) => { d.abort(err) }
    }
    return paced
  }
}

export async function readAll (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of source) parts.push(p)
  return Buffer.concat(parts)
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function inParallel<T> (items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i]!, i)
    }
  }))
}
