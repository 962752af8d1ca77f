import '@weft/protocol/polyfill'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'
import { CID } from 'multiformats/cid'
import { seededShuffle } from '../harness/random.js'
import { failWorker, serveWorker } from '../harness/worker-io.js'
import { largePayload, sampleBytes } from './payload.js'
import { timedLoop } from './timed-loop.js'
import type { HeliaWithLibp2p } from '@helia/libp2p'
import type { Identify } from '@libp2p/identify'
import type { UnixFS } from '@helia/unixfs'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * One Helia node in its own process, for the `helia` scenario:
 * `node helia-node.js provider|fetcher`. Built the way a TypeScript user
 * would on a private network, without anything that reaches the internet:
 * `createHeliaLight` (memory blockstore and datastore) + `withLibp2pLight`
 * with a minimal libp2p (TCP on 127.0.0.1, Noise, yamux, identify: the
 * same transport stack weft runs on, minus the mesh key) + `withBitswap`.
 * Files go through @helia/unixfs with its defaults (1 MiB chunks, raw
 * leaves, CIDv1).
 *
 * Hello: `{ ready, peerId, addrs }`. Commands:
 * - provider `{ op: 'addLarge', bytes }` -> `{ cid, ms }`: the same generated
 *   payload weft's client puts.
 * - provider `{ op: 'addSamples', count, size }` -> `{ cids, ms }`
 * - fetcher `{ op: 'dial', addr }` -> `{ ok }`
 * - fetcher `{ op: 'cat', cid, provider? }` -> `{ ms, bytes }`: reads the whole
 *   file over bitswap, from the peers it is connected to, or from `provider`
 *   (a multiaddr with /p2p/) when named.
 * - fetcher `{ op: 'getSamples', cids, concurrency, seed, maxSeconds, provider? }`
 *   -> `{ count, seconds, samplesUs, bytes, cut }`: cat of each sample in a
 *   seeded random order, `concurrency` in flight.
 * - `{ op: 'usage' }` -> CPU time and peak RSS.
 */

const role = process.argv[2]
if (role !== 'provider' && role !== 'fetcher') failWorker(new Error(`role must be provider or fetcher, not ${String(role)}`))

let helia: HeliaWithLibp2p<{ identify: Identify }>
let fs: UnixFS
try {
  helia = withBitswap(withLibp2pLight(createHeliaLight(), {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  }))
  await helia.start()
  fs = unixfs(helia)
} catch (err) {
  failWorker(err)
}
const node = helia
const files = fs

async function cat (cid: CID, providers: Multiaddr[]): Promise<number> {
  let bytes = 0
  for await (const buf of files.cat(cid, { providers })) bytes += buf.byteLength
  return bytes
}

function providerOf (cmd: Record<string, unknown>): Multiaddr[] {
  return typeof cmd.provider === 'string' ? [multiaddr(cmd.provider)] : []
}

serveWorker({
  hello: { ready: true, role, peerId: node.libp2p.peerId.toString(), addrs: node.libp2p.getMultiaddrs().map(String) },
  onCommand: async cmd => {
    switch (cmd.op) {
      case 'addLarge': {
        const started = performance.now()
        const cid = await files.addByteStream(largePayload(Number(cmd.bytes)))
        return { cid: cid.toString(), ms: performance.now() - started }
      }
      case 'addSamples': {
        const started = performance.now()
        const cids: string[] = []
        for (let i = 0; i < Number(cmd.count); i++) cids.push((await files.addBytes(sampleBytes(i, Number(cmd.size)))).toString())
        return { cids, ms: performance.now() - started }
      }
      case 'dial':
        await node.libp2p.dial(multiaddr(String(cmd.addr)))
        return { ok: true }
      case 'cat': {
        const started = performance.now()
        const bytes = await cat(CID.parse(String(cmd.cid)), providerOf(cmd))
        return { ms: performance.now() - started, bytes }
      }
      case 'getSamples': {
        const cids = (cmd.cids as string[]).map(c => CID.parse(c))
        const providers = providerOf(cmd)
        const order = seededShuffle(cids.length, Number(cmd.seed ?? 1))
        return await timedLoop(order, Number(cmd.concurrency ?? 16), Number(cmd.maxSeconds ?? 0), async i => await cat(cids[i]!, providers))
      }
      case 'usage':
        return { cpuUsage: process.cpuUsage(), maxRssKiB: process.resourceUsage().maxRSS }
      default:
        throw new Error(`unknown op ${String(cmd.op)}`)
    }
  },
  onShutdown: async () => { await node.stop() }
})
