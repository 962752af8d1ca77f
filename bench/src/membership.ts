/**
 * Membership at N = 10 and 25 nodes (`--full`: 10, 25, 50) in one process (real TCP on 127.0.0.1).
 * Timings are modest: heartbeat 2 s, suspect 10 s, down 30 s (`--heartbeat=`
 * changes the heartbeat, the rest scale with it). All N nodes share one
 * process and so one core for the whole libp2p stack: per node the cost is
 * what N separate machines would each pay, but here it is paid N times over.
 *
 * - converge: a seed starts, then N - 1 nodes start at once joining through
 *   it; the time until every node sees all N members up.
 * - gossip in/out per node: gossipsub RPC bytes (counted by gossipsub's own
 *   byte metrics: every RPC on the wire, duplicates and control messages
 *   included, before Noise/yamux framing) over a steady-state window after
 *   convergence, averaged over nodes.
 * - cpu: the process's CPU time over that window, as % of one core, for all
 *   N nodes together.
 *
 * `npm run bench -- membership [--sizes=10,25] [--window=10] [--heartbeat=2000]`
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createNode, generateMeshKey } from '@weft/node'
import { record } from './report.js'
import type { WeftNode } from '@weft/node'

function option (args: string[], name: string): string | undefined {
  return args.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

async function runSize (n: number, windowS: number, heartbeatMs: number): Promise<void> {
  const timings = { heartbeatMs, suspectAfterMs: 5 * heartbeatMs, downAfterMs: 15 * heartbeatMs, outAfterMs: 600 * heartbeatMs }
  const meshKey = generateMeshKey()
  const dirs: string[] = []
  const nodes: WeftNode[] = []
  const make = async (seeds: string[]): Promise<WeftNode> => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-bench-members-'))
    dirs.push(dataDir)
    const node = await createNode({ dataDir, meshKey, seeds, capacityBytes: 1e12, timings })
    nodes.push(node)
    return node
  }
  try {
    const seed = await make([])
    await seed.start()
    const seedAddr = seed.getMultiaddrs()[0]?.toString() ?? ''
    const joiners = await Promise.all(Array.from({ length: n - 1 }, async () => make([seedAddr])))
    const start = performance.now()
    await Promise.all(joiners.map(async j => j.start()))
    const ids = nodes.map(x => x.peerId)
    const deadline = start + 120_000
    while (!nodes.every(x => ids.every(id => x.member(id)?.liveness === 'up'))) {
      if (performance.now() > deadline) throw new Error(`N=${n} did not converge in 120 s`)
      await sleep(20)
    }
    const converge = performance.now() - start
    record({ scenario: 'membership', metric: `converge N=${n} (heartbeat ${heartbeatMs} ms)`, value: Math.round(converge), unit: 'ms' })

    await sleep(3000) // let joins, syncs and mesh grafting settle
    const before = nodes.map(x => x.stats())
    const cpuBefore = process.cpuUsage()
    const t0 = performance.now()
    await sleep(windowS * 1000)
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const after = nodes.map(x => x.stats())
    let bytesIn = 0
    let bytesOut = 0
    for (let i = 0; i < nodes.length; i++) {
      bytesIn += (after[i]?.gossipBytesIn ?? 0) - (before[i]?.gossipBytesIn ?? 0)
      bytesOut += (after[i]?.gossipBytesOut ?? 0) - (before[i]?.gossipBytesOut ?? 0)
    }
    const allUp = nodes.every(x => ids.every(id => x.member(id)?.liveness === 'up'))
    record({ scenario: 'membership', metric: `gossip in per node N=${n}`, value: Math.round(bytesIn / n / seconds), unit: 'B/s' })
    record({ scenario: 'membership', metric: `gossip out per node N=${n}`, value: Math.round(bytesOut / n / seconds), unit: 'B/s' })
    record({ scenario: 'membership', metric: `cpu all nodes N=${n}`, value: Math.round((cpu.user + cpu.system) / 1e4 / seconds), unit: '% of a core' })
    record({ scenario: 'membership', metric: `all up through window N=${n}`, value: allUp ? 1 : 0, unit: 'bool', target: '1', met: allUp })
  } finally {
    await Promise.allSettled(nodes.map(async x => x.stop()))
    await Promise.allSettled(dirs.map(async d => rm(d, { recursive: true, force: true })))
  }
}

export default async function membership (args: string[]): Promise<void> {
  const sizes = (option(args, 'sizes') ?? (args.includes('--full') ? '10,25,50' : '10,25')).split(',').map(Number).filter(x => x > 1)
  const windowS = Number(option(args, 'window') ?? 10)
  const heartbeatMs = Number(option(args, 'heartbeat') ?? 2000)
  for (const n of sizes) await runSize(n, windowS, heartbeatMs)
}
