import '@weft/protocol/polyfill'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createNode } from '@weft/node'
import { failWorker, serveWorker } from './harness/worker-io.js'

/**
 * One weft node in its own process, for the `chunks` scenario:
 * `node chunks-node-worker.js <zone> [seed multiaddr]`, mesh key in
 * WEFT_BENCH_MESH_KEY (the key file's text). It runs createNode from the
 * compiled @weft/node on a fresh temp data dir (removed on exit).
 * Hello: `{ ready, peerId, addrs }`. Commands: `{ op: 'members' }` (peer ids
 * this node sees up), `{ op: 'map' }` (its cluster map), `{ op: 'usage' }`
 * (CPU time, peak RSS, store usage).
 */

const zone = process.argv[2] ?? ''
const seeds = process.argv.slice(3)
const meshKey = process.env.WEFT_BENCH_MESH_KEY
if (meshKey == null) failWorker(new Error('WEFT_BENCH_MESH_KEY is not set'))

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-bench-chunks-'))
let node
try {
  node = await createNode({ dataDir, meshKey, seeds, zone, metrics: { processMetrics: false } })
  await node.start()
} catch (err) {
  await rm(dataDir, { recursive: true, force: true })
  failWorker(err)
}
const started = node

serveWorker({
  hello: { ready: true, peerId: started.peerId, addrs: started.getMultiaddrs().map(String) },
  onCommand: async (command) => {
    switch (command.op) {
      case 'members':
        return { up: started.members().filter(m => m.liveness === 'up').map(m => m.peerId) }
      case 'map':
        return { map: started.getMap() }
      case 'usage':
        return { cpuUsage: process.cpuUsage(), maxRssKiB: process.resourceUsage().maxRSS, store: started.store.usage() }
      default:
        throw new Error(`unknown op ${String(command.op)}`)
    }
  },
  onShutdown: async () => {
    await started.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
})
