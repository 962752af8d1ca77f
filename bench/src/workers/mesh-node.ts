import '@weft/protocol/polyfill'
import { createNode } from '@weft/node'
import { failWorker, serveWorker } from '../harness/worker-io.js'
import type { HealInit, WeftNode } from '@weft/node'

/**
 * One weft node in its own process: `node mesh-node.js <dataDir> <zone>
 * [seed multiaddr...]`, mesh key in WEFT_BENCH_MESH_KEY (the key file's
 * text). It runs createNode from the compiled @weft/node (store with fsync,
 * chunk, bulk and ref services) on `dataDir`, which the parent created and
 * removes, so a killed node leaves nothing behind once the parent cleans up.
 * Reconciler options (JSON HealInit), if any, in WEFT_BENCH_HEAL.
 * Hello: `{ ready, peerId, addrs }`. Commands: `{ op: 'members' }` (peer
 * ids this node sees up), `{ op: 'map' }` (its cluster map), `{ op: 'usage' }`
 * (CPU time, peak RSS, store usage),
 * `{ op: 'heal' }` (the reconciler's status, store usage, members up, RSS).
 */

const [dataDir, zone, ...seeds] = process.argv.slice(2)
const meshKey = process.env.WEFT_BENCH_MESH_KEY
if (meshKey == null) failWorker(new Error('WEFT_BENCH_MESH_KEY is not set'))
if (dataDir == null || zone == null) failWorker(new Error('usage: mesh-node.js <dataDir> <zone> [seed...]'))

let node: WeftNode
try {
  const heal = process.env.WEFT_BENCH_HEAL == null ? undefined : JSON.parse(process.env.WEFT_BENCH_HEAL) as HealInit
  node = await createNode({ dataDir, meshKey, seeds, zone, heal, metrics: { processMetrics: false } })
  await node.start()
} catch (err) {
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
        return { cpuUsage: process.cpuUsage(), maxRssKiB: process.resourceUsage().maxRSS, rssBytes: process.memoryUsage.rss(), store: started.store.usage() }
      case 'heal':
        return {
          status: await started.healStatus(),
          store: started.store.usage(),
          up: started.members().filter(m => m.liveness === 'up').length,
          rssBytes: process.memoryUsage.rss()
        }
      default:
        throw new Error(`unknown op ${String(command.op)}`)
    }
  },
  onShutdown: async () => { await started.stop() }
})
