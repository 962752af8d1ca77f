/**
 * `weft status`: the map as a table, read from a node's admin port
 * (`/status`). With several admin URLs (a `weft up` mesh) each node's own
 * figures (chunks, background work) fill in what the others' records lack.
 */
import { fetchStatus } from '../admin-client.js'
import { findConfig } from '../config.js'
import { CliError } from '../errors.js'
import { renderStatus } from '../status-view.js'
import type { StatusReport } from '../node/status-report.js'
import type { StatusView } from '../status-view.js'
import type { Command } from 'commander'

export function registerStatus (program: Command): void {
  program.command('status')
    .description('the mesh as one node sees it: zones, nodes, state, capacity, usage, load, background work')
    .option('--admin <url...>', 'admin URL(s) of a node (default: those in the nearest .weft/config.json)')
    .option('--json', 'print the JSON instead of a table')
    .action(async (opts: { admin?: string[], json?: boolean }) => {
      const view = await readStatus(await adminUrls(opts.admin))
      process.stdout.write(opts.json === true ? JSON.stringify(view, null, 2) + '\n' : renderStatus(view) + '\n')
    })
}

/** --admin, or the nearest config's admin URLs. */
export async function adminUrls (flag: string[] | undefined): Promise<string[]> {
  if (flag != null && flag.length > 0) return flag.map(normalizeAdminUrl)
  const found = await findConfig(process.cwd())
  const urls = found?.config.admin ?? []
  if (urls.length === 0) {
    throw new CliError('no admin URL to ask: pass --admin URL (each node prints its own when it starts), or run this where `weft up` runs')
  }
  return urls
}

export function normalizeAdminUrl (text: string): string {
  const withScheme = /^https?:\/\//.test(text) ? text : `http://${/^\d+$/.test(text) ? `127.0.0.1:${text}` : text}`
  try {
    return new URL(withScheme).origin
  } catch {
    throw new CliError(`--admin: "${text}" is not a URL (e.g. http://127.0.0.1:9301)`, 2)
  }
}

/** Asks every URL at once; the first that answers gives the map, the others their own figures. */
export async function readStatus (urls: string[]): Promise<StatusView> {
  const results = await Promise.allSettled(urls.map(async u => fetchStatus(u)))
  const ok: Array<{ url: string, report: StatusReport }> = []
  results.forEach((r, i) => { if (r.status === 'fulfilled') ok.push({ url: urls[i] ?? '', report: r.value }) })
  const primary = ok[0]
  if (primary == null) {
    const first = results[0]
    throw first?.status === 'rejected' ? first.reason : new CliError('no admin URL answered')
  }
  const own = new Map<string, StatusReport['members'][number]>()
  for (const { report } of ok) {
    const self = report.members.find(m => m.self)
    if (self != null) own.set(self.peerId, self)
  }
  const members = primary.report.members.map(m => {
    const o = own.get(m.peerId)
    if (o == null || m.self) return m
    // its own word on what only it knows; the map's view of its state stays
    return { ...m, chunks: o.chunks, background: o.background, usedBytes: o.usedBytes, capacityBytes: o.capacityBytes, full: o.full }
  })
  const unanswered = urls.filter(u => !ok.some(o => o.url === u))
  return { ...primary.report, members, viewedBy: primary.url, unanswered }
}
