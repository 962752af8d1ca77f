/**
 * `weft up`: a local mesh of N node processes on 127.0.0.1, the embedded
 * default for trying weft. Data under `<dir>/node-N`, the mesh key and
 * `config.json` in `<dir>`, so `weft status` (and the data commands) in the
 * same folder need no flags. Ctrl-C stops every node cleanly; a re-run reuses
 * the data, identities and (when free) ports.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { tcpOf } from '../addr.js'
import { fetchStatus } from '../admin-client.js'
import { CONFIG_DIR, readConfigIn, writeConfigIn } from '../config.js'
import { DEFAULT_UP_DIR, DEFAULT_UP_NODES, MAX_UP_NODES, UP_CONVERGE_TIMEOUT_MS } from '../constants.js'
import { CliError } from '../errors.js'
import { MESH_KEY_FILE, loadOrCreateMeshKey } from '../mesh-key.js'
import { countArg, sizeArg } from '../options.js'
import { ChildNode } from '../up/child.js'
import { planNodes } from '../up/plan.js'
import { printSummary } from '../up/summary.js'
import type { LocalNode, WeftConfig } from '../config.js'
import type { PlannedNode } from '../up/plan.js'
import type { Command } from 'commander'

interface UpOptions {
  nodes: number
  dir: string
  capacity?: number
}

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url))

export function registerUp (program: Command): void {
  program.command('up')
    .description('run a local mesh of node processes on 127.0.0.1 until Ctrl-C (data kept for the next run)')
    .option('--nodes <n>', `how many nodes (1 to ${MAX_UP_NODES})`, countArg(1, MAX_UP_NODES), DEFAULT_UP_NODES)
    .option('--dir <dir>', 'where the data, the mesh key and config.json live', DEFAULT_UP_DIR)
    .option('--capacity <size>', 'capacity of each node, e.g. 10GiB (default: the free disk space)', sizeArg)
    .action(async (opts: UpOptions, cmd: Command) => {
      const debug = cmd.optsWithGlobals<{ debug?: boolean }>().debug === true
      await up(opts, debug)
    })
}

async function up (opts: UpOptions, debug: boolean): Promise<void> {
  const dir = path.resolve(process.cwd(), opts.dir)
  await mkdir(dir, { recursive: true })
  const previous = await readConfigIn(dir).catch(() => undefined)
  if (previous?.upPid != null && previous.upPid !== process.pid && isAlive(previous.upPid)) {
    throw new CliError(`weft up is already running in ${shown(dir)} (pid ${previous.upPid}): use that mesh, or stop it first (Ctrl-C in its terminal, or kill ${previous.upPid})`)
  }
  const { key, created } = await loadOrCreateMeshKey(path.join(dir, MESH_KEY_FILE))
  const plans = await planNodes(dir, opts.nodes, previous?.nodes)
  const children: ChildNode[] = []
  const session = new Session(children)
  // claim the folder before starting anything, so a second `weft up` here says so
  await writeConfigIn(dir, { ...(previous ?? { seeds: [] }), meshKeyFile: key.file, upPid: process.pid })

  const spawnNode = (plan: PlannedNode, seeds: string[]): ChildNode => {
    const args = [
      '--data', plan.dataDir,
      '--zone', plan.zone,
      '--listen', `/ip4/127.0.0.1/tcp/${plan.listenPort}`,
      '--admin', `127.0.0.1:${plan.adminPort}`,
      '--mesh-key', key.file,
      ...seeds.flatMap(s => ['--seed', s]),
      ...(opts.capacity != null ? ['--capacity', String(opts.capacity)] : []),
      ...(debug ? ['--debug'] : [])
    ]
    const child = new ChildNode({
      name: plan.name,
      bin: BIN,
      args,
      onStderr: (line) => { process.stderr.write(`weft: ${plan.name}: ${line}\n`) },
      onUnexpectedExit: (c, how) => { session.unexpectedExit(c, how) }
    })
    children.push(child)
    return child
  }

  let startupError: Error | undefined
  try {
    const [first, ...rest] = plans
    if (first == null) throw new CliError('no nodes to start', 2)
    const seed = await session.guard(spawnNode(first, []).started())
    await session.guard(Promise.all(rest.map(async plan => spawnNode(plan, [seed.multiaddr]).started())))
    const nodes = plans.map((plan, i) => localNode(plan, children[i], dir))
    const config: WeftConfig = {
      seeds: children.map(c => c.info?.multiaddr ?? '').filter(s => s !== ''),
      meshKeyFile: key.file,
      admin: nodes.map(n => n.admin ?? '').filter(a => a !== ''),
      nodes,
      upPid: process.pid
    }
    const configFile = await writeConfigIn(dir, config)
    const converged = await session.guard(converge(config.admin?.[0], plans.length))
    printSummary({
      dir: shown(dir),
      configFile: shown(configFile),
      meshId: key.meshId,
      keyCreated: created,
      keyFile: key.file,
      reused: previous?.nodes != null,
      plans,
      children,
      converged,
      discoverable: path.basename(dir) === CONFIG_DIR
    })
    await session.done
  } catch (err) {
    if (!(err instanceof StopRequested)) startupError = err instanceof Error ? err : new Error(String(err))
  }
  const clean = await session.stopAll()
  await writeConfigIn(dir, await withoutPids(dir)).catch(() => {})
  if (startupError != null) throw startupError
  if (session.failure != null) throw session.failure
  if (!clean) throw new CliError('some nodes had to be killed: they did not leave the mesh within the time allowed')
  process.stdout.write(`stopped ${children.length} node${children.length === 1 ? '' : 's'}; data kept in ${shown(dir)} (\`weft up\` restarts them)\n`)
}

/**
 * The lifetime of one `weft up`: resolves `done` on Ctrl-C/SIGTERM/SIGHUP,
 * or when every node has died; a second Ctrl-C kills the nodes outright.
 */
class Session {
  stopRequested = false
  failure?: CliError
  readonly done: Promise<void>
  private finish: () => void = () => {}
  private readonly stopSignal = new AbortController()

  constructor (private readonly children: ChildNode[]) {
    this.done = new Promise(resolve => { this.finish = resolve })
    let signals = 0
    const onSignal = (): void => {
      if (++signals > 1) {
        for (const c of this.children) c.kill()
        process.stderr.write('weft: killed the nodes without letting them leave the mesh\n')
        process.exit(1)
      }
      this.stopRequested = true
      const running = this.children.filter(c => c.running).length
      process.stdout.write(`stopping ${running} node${running === 1 ? '' : 's'}...\n`)
      this.stopSignal.abort()
      this.finish()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    process.on('SIGHUP', onSignal)
  }

  /** Awaits a startup step, giving up at once when a stop was requested meanwhile. */
  async guard<T> (step: Promise<T>): Promise<T> {
    const stopped = new Promise<never>((_resolve, reject) => {
      const abort = (): void => { reject(new StopRequested()) }
      if (this.stopSignal.signal.aborted) abort()
      this.stopSignal.signal.addEventListener('abort', abort, { once: true })
    })
    return Promise.race([step, stopped])
  }

  unexpectedExit (child: ChildNode, how: string): void {
    const why = child.lastLine !== '' ? `: ${child.lastLine}` : ''
    const alive = this.children.filter(c => c.running).length
    if (alive === 0) {
      this.failure = new CliError(`${child.name} exited unexpectedly (${how})${why}; no node is left running`)
      this.finish()
      return
    }
    process.stderr.write(`weft: ${child.name} exited unexpectedly (${how})${why}; the other ${alive} keep running (Ctrl-C stops them)\n`)
  }

  /** Stops every running child in parallel; resolves to whether all left cleanly. */
  async stopAll (): Promise<boolean> {
    const results = await Promise.all(this.children.map(async c => c.stop()))
    return results.every(Boolean)
  }
}

/** A stop requested while nodes were starting: not an error. */
class StopRequested extends Error {}

/** Waits until the first node sees every node up; false if that took too long. */
async function converge (admin: string | undefined, count: number): Promise<boolean> {
  if (admin == null) return false
  const deadline = Date.now() + UP_CONVERGE_TIMEOUT_MS
  while (Date.now() < deadline) {
    const report = await fetchStatus(admin).catch(() => undefined)
    if (report != null && report.members.filter(m => m.state === 'up').length >= count) return true
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  return false
}

function localNode (plan: PlannedNode, child: ChildNode | undefined, dir: string): LocalNode {
  const info = child?.info
  return {
    name: plan.name,
    dataDir: path.relative(dir, plan.dataDir),
    zone: plan.zone,
    peerId: info?.peerId,
    multiaddr: info?.multiaddr,
    admin: info?.admin ?? undefined,
    listenPort: info != null ? tcpOf(info.multiaddr)?.port : undefined,
    adminPort: info?.admin != null ? Number(new URL(info.admin).port) : undefined,
    pid: child?.pid
  }
}

async function withoutPids (dir: string): Promise<WeftConfig> {
  const config = await readConfigIn(dir) ?? { seeds: [], meshKeyFile: MESH_KEY_FILE }
  const { upPid: _upPid, ...rest } = config
  return { ...rest, nodes: config.nodes?.map(({ pid: _pid, ...n }) => n) }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function shown (p: string): string {
  const rel = path.relative(process.cwd(), p)
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel
}

