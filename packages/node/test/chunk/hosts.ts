import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKey, preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { createChunkService } from '../../src/chunk/index.js'
import { openChunkStore } from '../../src/store/index.js'
import type { ChunkService, ChunkServiceInit } from '../../src/chunk/index.js'
import type { ChunkStore } from '../../src/store/index.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** One mesh key for every host of a test run (the hostile peer holds it too). */
export function meshKey (): Uint8Array {
  const key = new Uint8Array(95)
  generateKey(key)
  return key
}

/** A bare libp2p host as a node would run it: TCP on loopback, pnet, Noise, bounded yamux. */
export async function createHost (psk: Uint8Array, streamLimits: { maxInboundStreams?: number, maxOutboundStreams?: number } = {}): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      ...streamLimits,
      streamOptions: {
        // a paused stream must be able to hold a full window (see LIBP2P-NOTES)
        maxStreamWindowSize: 4 * 1024 * 1024,
        maxReadBufferLength: 4 * 1024 * 1024,
        maxWriteBufferLength: 8 * 1024 * 1024
      }
    })],
    connectionProtector: preSharedKey({ psk }),
    // every test host dials from 127.0.0.1: the default of 5 inbound connections
    // per second per address would reset a test's own setup
    connectionManager: { inboundConnectionThreshold: 1000 }
  })
}

export interface TestNode {
  host: Libp2p
  store: ChunkStore
  service: ChunkService
  dir: string
  peerId: PeerId
  stop(): Promise<void>
}

/** A host with a real chunk store in a temp dir and the chunk service on it. */
export async function createNode (psk: Uint8Array, init: ChunkServiceInit & { members?: () => PeerId[], muxer?: { maxInboundStreams?: number } } = {}): Promise<TestNode> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-chunk-'))
  const host = await createHost(psk, init.muxer)
  const store = await openChunkStore({ dir })
  const service = createChunkService({
    libp2p: host,
    store,
    isMember: peer => init.members?.().some(m => m.equals(peer)) ?? false
  }, init)
  await service.start()
  let stopped = false
  return {
    host,
    store,
    service,
    dir,
    peerId: host.peerId,
    async stop () {
      if (stopped) {
        return
      }
      stopped = true
      await service.stop()
      await host.stop()
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** Connect every pair so tests do not depend on dialing by peer id alone. */
export async function connectAll (nodes: Array<{ host: Libp2p }>): Promise<void> {
  for (const a of nodes) {
    for (const b of nodes) {
      if (a !== b) {
        await a.host.dial(b.host.getMultiaddrs())
      }
    }
  }
}

export async function cidOf (bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(bytes))
}

export function bytesOf (size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xFF
  }
  return out
}

export async function collect (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of source) {
    parts.push(p)
  }
  return Buffer.concat(parts)
}

export async function waitFor (check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) {
      throw new Error('condition not met in time')
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Streams of `protocol` open between two hosts, as seen by `from`. */
export function streamsBetween (from: Libp2p, to: PeerId, protocol: string): number {
  let n = 0
  for (const conn of from.getConnections(to)) {
    n += conn.streams.filter(s => s.protocol === protocol).length
  }
  return n
}
