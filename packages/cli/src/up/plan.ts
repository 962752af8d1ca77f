/** Which data dir, zone and ports each node of a local mesh gets. */
import path from 'node:path'
import { isPortFree } from '../ports.js'
import type { LocalNode } from '../config.js'

export interface PlannedNode {
  name: string
  /** absolute */
  dataDir: string
  zone: string
  listenPort: number
  adminPort: number
  /** ports of the last run that are taken now (a new one is picked instead) */
  moved: string[]
}

/**
 * Distinct zones so placement spreads replicas over every node (it puts no
 * two copies in one zone while there are enough zones).
 */
export function localZone (i: number): string {
  const zone = i < 26 ? String.fromCharCode(97 + i) : String(i + 1)
  return `local/zone-${zone}/rack-1/host-${i + 1}`
}

/** Node i (0-based) keeps its data dir, zone and, when still free, the ports of the previous run. */
export async function planNodes (dir: string, count: number, previous: LocalNode[] = []): Promise<PlannedNode[]> {
  const plans: PlannedNode[] = []
  for (let i = 0; i < count; i++) {
    const name = `node-${i + 1}`
    const before = previous.find(n => n.name === name)
    const moved: string[] = []
    const reuse = async (port: number | undefined, what: string): Promise<number> => {
      if (port == null || port === 0) return 0
      if (await isPortFree('127.0.0.1', port)) return port
      moved.push(`${what} ${port}`)
      return 0
    }
    plans.push({
      name,
      dataDir: path.join(dir, name),
      zone: before?.zone ?? localZone(i),
      listenPort: await reuse(before?.listenPort, 'libp2p port'),
      adminPort: await reuse(before?.adminPort, 'admin port'),
      moved
    })
  }
  return plans
}
