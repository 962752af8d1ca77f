import '@weft/protocol/polyfill'
import { createNode } from '@weft/node'
import { failWorker, serveWorker } from '../harness/worker-io.js'
import type { HealInit, WeftNode } from '@weft/node'

/**
 * One weft node in its own process for the `rebalance` scenario:
 * `node heal-node.js <dataDir> <zone> [seed...]`, mesh key in
 * WEFT_BENCH_MESH_KEY, reconciler options (JSON HealInit) in
 * WEFT_BENCH_HEAL. Hello: `{ ready, peerId, addrs }`. Commands:
 * `{ op: 'heal' }` -> the reconciler's status, the store's usage and how
 * many members this node sees up.
 */

const [dataDir, zone, ...seeds] = process.argv.slice(2)
const meshKey = process.env.WEFT_BENCH_MESH_KEY
if (meshKey == null) failWorker(new Error('WEFT_BENCH_MESH_KEY is not set'))
if (dataDir == null || zone == null) failWorker(new Error('usage: heal-node.js <dataDir> <zone> [seed...]'))
const heal = JSON.parse(process.env.WEFT_BENCH_HEAL ?? '{}') as HealInit

let node: WeftNode
try {
  node = await createNode({ dataDir, meshKey, seeds, zone, heal, metrics: { processMetrics: false } })
  await node.start()
} catch (err) {
  failWorker(err)
}
const started = node

serveWorker({
  hello: { ready: true, peerId: started.peerId, addrs: started.getMultiaddrs().map(String) },
  onCommand: async (command) => {
    if (command.op !== 'heal') throw new Error(`unknown op ${String(command.op)}`)
    return {
      status: await started.healStatus(),
      store: started.store.usage(),
      up: started.members().filter(m => m.liveness === 'up').length,
      rssBytes: process.memoryUsage.rss()
    }
  },
  onShutdown: async () => { await started.stop() }
})
