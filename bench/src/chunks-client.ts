import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createChunkClient, libp2pTransport } from '@weft/protocol'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { Libp2p } from '@libp2p/interface'
import type { ChunkClient } from '@weft/protocol'

/**
 * The `chunks` scenario's client side: a libp2p host holding the mesh key
 * but running no node (what the embeddable client will be), with a
 * ChunkClient over it. Same yamux settings as a node.
 */
export interface BenchClient {
  host: Libp2p
  client: ChunkClient
  stop(): Promise<void>
}

const MiB = 1024 * 1024

export async function startBenchClient (meshKey: string, dial: string[][]): Promise<BenchClient> {
  const host = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: 4 * MiB, maxReadBufferLength: 4 * MiB, maxWriteBufferLength: 8 * MiB } })],
    connectionProtector: preSharedKey({ psk: new TextEncoder().encode(meshKey) })
  })
  for (const addrs of dial) await host.dial(addrs.map(a => multiaddr(a)))
  const client = createChunkClient({ transport: libp2pTransport(host) })
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
 * Distinct chunks of one size without holding them all: chunk i is a random
 * base buffer with i written into its first 8 bytes, rebuilt (one memcpy) when
 * it is sent. Ids are computed up front, outside any timed section.
 */
export class ChunkSet {
  readonly cids: CID[] = []
  private readonly base: Uint8Array

  private constructor (readonly size: number) {
    this.base = new Uint8Array(randomBytes(size))
  }

  static async create (size: number, count: number): Promise<ChunkSet> {
    const set = new ChunkSet(size)
    for (let i = 0; i < count; i++) set.cids.push(CID.createV1(raw.code, await sha256.digest(set.bytes(i))))
    return set
  }

  bytes (i: number): Uint8Array {
    const out = this.base.slice()
    new DataView(out.buffer).setBigUint64(0, BigInt(i))
    return out
  }

  get count (): number {
    return this.cids.length
  }
}

/** Runs `fn(i)` for i in [0, count) with at most `limit` running at once. */
export async function runConcurrently (count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) await fn(next++)
  }))
}
