/**
 * One node as a process runs it: createNode, the admin HTTP server with the
 * node's metrics and `/status`, and an orderly stop. The command around it
 * (commands/node-start.ts) handles output and signals.
 */
import { createNode, startAdminServer } from '@weft/node'
import { formatHostPort } from '../addr.js'
import { CliError } from '../errors.js'
import { explainNodeError, portInUse } from '../explain.js'
import { BackgroundSampler } from './background.js'
import { buildStatusReport } from './status-report.js'
import type { HostPort } from '../addr.js'
import type { AdminServer, WeftNode } from '@weft/node'

export interface RunNodeInit {
  dataDir: string
  listen?: string[]
  announce?: string[]
  seeds: string[]
  zone?: string
  capacityBytes?: number
  meshKey?: Uint8Array
  insecureOpen?: boolean
  /** where the admin server listens; undefined: no admin server */
  admin?: HostPort
}

export interface RunningNode {
  node: WeftNode
  admin?: AdminServer
  /** leaves the mesh (announces `leaving`), closes the admin port and the store */
  stop: () => Promise<void>
}

export async function runNode (init: RunNodeInit): Promise<RunningNode> {
  const hints = { dataDir: init.dataDir }
  let node: WeftNode
  try {
    node = await createNode({
      dataDir: init.dataDir,
      listen: init.listen,
      announce: init.announce,
      seeds: init.seeds,
      zone: init.zone,
      capacityBytes: init.capacityBytes,
      meshKey: init.meshKey,
      insecureOpen: init.insecureOpen
    })
  } catch (err) {
    throw explainNodeError(err, hints)
  }
  const background = new BackgroundSampler(node.metrics, async () => node.healStatus())
  let admin: AdminServer | undefined
  try {
    if (init.admin != null) admin = await startAdmin(node, background, init.admin)
    await node.start()
  } catch (err) {
    await admin?.close()
    await node.stop().catch(() => {})
    throw explainNodeError(err, hints)
  }
  background.start()
  let stopping: Promise<void> | undefined
  return {
    node,
    admin,
    stop: async () => {
      stopping ??= (async () => {
        background.stop()
        // the node first: `weft status` can watch it leave until the very end
        await node.stop()
        await admin?.close()
      })()
      await stopping
    }
  }
}

async function startAdmin (node: WeftNode, background: BackgroundSampler, at: HostPort): Promise<AdminServer> {
  const actions: Record<string, () => Promise<unknown>> = {
    '/drain': async () => {
      const status = await node.drain()
      // the next /status must already say draining
      await background.sample()
      return status
    }
  }
  try {
    return await startAdminServer({
      host: at.host,
      port: at.port,
      registry: node.metrics.registry,
      status: () => buildStatusReport(node, background.current),
      actions
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw portInUse(formatHostPort(at), '--admin')
    if (code === 'EADDRNOTAVAIL') throw new CliError(`cannot serve admin on ${formatHostPort(at)}: this machine has no such address; fix --admin`)
    throw err
  }
}
