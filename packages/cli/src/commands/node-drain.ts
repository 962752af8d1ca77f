/**
 * `weft node drain`: asks a node (through its admin port) to move its data
 * away, then follows it until it holds nothing the mesh needs. The drain
 * goes on in the node when this command stops watching.
 */
import { AdminNotFoundError, adminRequest, fetchStatus } from '../admin-client.js'
import { shortPeer } from '../addr.js'
import { findConfig } from '../config.js'
import { DRAIN_POLL_MS } from '../constants.js'
import { CliError, UsageError } from '../errors.js'
import { formatBytes } from '../units.js'
import { normalizeAdminUrl } from './status.js'
import type { MemberReport } from '../node/status-report.js'
import type { Command } from 'commander'

export function registerNodeDrain (node: Command): void {
  node.command('drain')
    .description('move a node\'s data to the others, then say when it can be removed')
    .argument('[peer]', 'peer id (or its last characters, or node-N) of a node in the nearest .weft/config.json')
    .option('--admin <url>', 'admin URL of the node to drain')
    .action(async (peer: string | undefined, opts: { admin?: string }) => {
      await drain(await targetUrl(peer, opts.admin))
    })
}

async function targetUrl (peer: string | undefined, admin: string | undefined): Promise<string> {
  if (admin != null) {
    if (peer != null) throw new UsageError('give either a peer or --admin URL, not both')
    return normalizeAdminUrl(admin)
  }
  if (peer == null) throw new UsageError('which node? `weft node drain --admin URL`, or a peer id from `weft status`')
  const found = await findConfig(process.cwd())
  const nodes = found?.config.nodes ?? []
  const matches = nodes.filter(n => n.admin != null && (n.name === peer || n.peerId === peer || (peer.length >= 6 && n.peerId?.endsWith(peer.replace(/^…/, '')) === true)))
  if (matches.length > 1) throw new UsageError(`"${peer}" matches several nodes: give more of the peer id`)
  const match = matches[0]
  if (match?.admin == null) {
    throw new CliError(`no admin URL known for ${peer}: pass --admin URL of that node (it prints it when it starts)`)
  }
  return match.admin
}

async function drain (url: string): Promise<void> {
  const before = await fetchStatus(url)
  try {
    await adminRequest(url, 'POST', '/drain')
  } catch (err) {
    if (err instanceof AdminNotFoundError) {
      throw new CliError(`node ${shortPeer(before.peerId)} has no drain endpoint (a node without its reconciler, or an older version); nothing was changed`)
    }
    throw err
  }
  process.stdout.write(`draining ${before.peerId} (${url}); Ctrl-C stops watching, not the drain\n`)
  let last = ''
  for (;;) {
    const report = await fetchStatus(url)
    const self = report.members.find(m => m.self)
    if (self == null) throw new CliError(`${url}/status does not list the node itself`)
    if (isDrained(self)) {
      process.stdout.write(`drained: ${shortPeer(self.peerId)} holds nothing the mesh needs; stop it and remove the machine\n`)
      return
    }
    const bg = self.background
    const waiting = bg != null && bg.settled === false && bg.repairPending + bg.rebalancePending === 0 ? ' (waiting for the other nodes to confirm their copies)' : ''
    const line = `${self.state}: ${formatBytes(self.usedBytes)} in ${self.chunks ?? '?'} chunks stored here, ${bg?.rebalancePending ?? 0} rebalance and ${bg?.repairPending ?? 0} repair copies pending, moving ${formatBytes(bg?.bytesPerSecond ?? 0)}/s${waiting}`
    if (line !== last) process.stdout.write(`${new Date().toTimeString().slice(0, 8)} ${line}\n`)
    last = line
    await new Promise(resolve => setTimeout(resolve, DRAIN_POLL_MS))
  }
}

/** The node says it is drained: draining, settled, and holding no chunk and no ref. */
function isDrained (m: MemberReport): boolean {
  return m.background?.drained === true
}
