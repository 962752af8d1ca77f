/**
 * `weft node start`: one node in the foreground. First line of stdout: its
 * multiaddr. SIGINT/SIGTERM (or, under `weft up`, its parent going away)
 * leave the mesh gracefully.
 */
import path from 'node:path'
import { Option } from 'commander'
import { parseHostPort, pickAddress } from '../addr.js'
import { DEFAULT_ADMIN, JOIN_GRACE_MS, JOIN_RECHECK_MS, STOP_TIMEOUT_MS } from '../constants.js'
import { CliError } from '../errors.js'
import { findNodeMeshKey, loadMeshKey } from '../mesh-key.js'
import { collect, multiaddrArg, sizeArg } from '../options.js'
import { NodeOutput } from '../node/output.js'
import { diagnoseJoin } from '../node/seed-check.js'
import type { HostPort } from '../addr.js'
import type { LoadedMeshKey } from '../mesh-key.js'
import type { OutputMode } from '../node/output.js'
import type { RunningNode } from '../node/run.js'
import type { Command } from 'commander'

interface NodeStartOptions {
  data: string
  listen?: string[]
  announce?: string[]
  seed?: string[]
  zone?: string
  capacity?: number
  meshKey?: string
  admin: HostPort | false
  json?: boolean
  quiet?: boolean
  insecureOpen?: boolean
  stopWithStdin?: boolean
}

const MEMBER_EVENTS = ['member:joined', 'member:suspect', 'member:down', 'member:out', 'member:left'] as const

export function registerNodeStart (node: Command): void {
  node.command('start')
    .description('run one node in the foreground; the first line of output is its multiaddr')
    .requiredOption('--data <dir>', 'data directory (created if missing; holds the node identity and its chunks)')
    .option('--listen <multiaddr...>', 'addresses to listen on (default /ip4/127.0.0.1/tcp/0; on a server e.g. /ip4/0.0.0.0/tcp/4001)', collect(multiaddrArg))
    .option('--announce <multiaddr...>', 'addresses to announce instead (behind NAT or a port mapping)', collect(multiaddrArg))
    .option('--seed <multiaddr...>', 'any running member to join through (repeatable)', collect(multiaddrArg))
    .option('--zone <path>', 'failure domain region/dc/rack/host, e.g. eu/dc1/rack4/host7')
    .option('--capacity <size>', 'most bytes of chunks to store, e.g. 500GiB (default: the free disk space)', sizeArg)
    .option('--mesh-key <file>', 'the mesh key file (default: $WEFT_MESH_KEY, <data>/mesh.key, or the nearest .weft/config.json)')
    .option('--admin <host:port>', 'admin HTTP address for /status and /metrics (default 127.0.0.1, any free port)', parseHostPort, DEFAULT_ADMIN)
    .option('--no-admin', 'serve no admin HTTP port')
    .option('--json', 'print JSON lines (the first: address, peer id, admin URL)')
    .option('--quiet', 'print only the first line (and problems, on stderr)')
    .option('--insecure-open', 'run without a mesh key: anyone who can reach the port can join (development only)')
    .addOption(new Option('--stop-with-stdin', 'leave the mesh when stdin closes (used by weft up)').hideHelp())
    .action(async (opts: NodeStartOptions) => {
      await nodeStart(opts)
    })
}

async function nodeStart (opts: NodeStartOptions): Promise<void> {
  // listening for signals from the start: a Ctrl-C while the node starts stops it once started
  const stopRequested = stopRequests(opts.stopWithStdin === true)
  const cwd = process.cwd()
  const dataDir = path.resolve(cwd, opts.data)
  const seeds = opts.seed ?? []
  let key: LoadedMeshKey | undefined
  if (opts.insecureOpen === true) {
    if (opts.meshKey != null) throw new CliError('--insecure-open and --mesh-key contradict each other: drop one', 2)
    process.stderr.write('weft: warning: --insecure-open: this node accepts anyone who can reach its port (development only)\n')
  } else {
    const source = await findNodeMeshKey(opts.meshKey, process.env, dataDir, cwd)
    if (source == null) {
      throw new CliError(`no mesh key: pass --mesh-key FILE or put the mesh's key at ${path.join(dataDir, 'mesh.key')} (\`weft init\` writes one)`)
    }
    key = await loadMeshKey(source.file)
  }
  const mode: OutputMode = { json: opts.json === true, quiet: opts.quiet === true }
  const out = new NodeOutput(mode)
  if (opts.stopWithStdin === true) {
    // under `weft up`: once the parent is gone, writes to its pipes fail; that must not crash a leaving node
    process.stdout.on('error', () => {})
    process.stderr.on('error', () => {})
  }
  // libp2p and the store load only for the commands that run a node
  const { runNode } = await import('../node/run.js')
  const running = await runNode({
    dataDir,
    listen: opts.listen,
    announce: opts.announce,
    seeds,
    zone: opts.zone,
    capacityBytes: opts.capacity,
    meshKey: key?.content,
    insecureOpen: opts.insecureOpen,
    admin: opts.admin === false ? undefined : opts.admin
  })
  const { node } = running
  const addrs = node.getMultiaddrs().map(String)
  out.started({
    multiaddr: pickAddress(addrs, opts.announce ?? []) ?? '',
    multiaddrs: addrs,
    peerId: node.peerId,
    admin: running.admin?.url ?? null,
    zone: node.record?.zone ?? opts.zone ?? '',
    meshId: node.meshId,
    dataDir,
    capacityBytes: node.record?.capacityBytes ?? 0,
    meshKeyFile: key?.file ?? null,
    seeds
  })
  for (const name of MEMBER_EVENTS) node.addEventListener(name, (evt) => { out.member(name, evt.detail) })
  await untilStopped(running, out, seeds, key, stopRequested)
}

/**
 * Resolves on SIGINT, SIGTERM or SIGHUP (or, with `stdin`, when stdin
 * closes: the parent is gone); a second signal exits at once.
 */
function stopRequests (stdin: boolean): Promise<void> {
  return new Promise<void>(resolve => {
    let signals = 0
    const onSignal = (): void => {
      if (++signals > 1) {
        // a second Ctrl-C: the person wants out now
        process.stderr.write('weft: stopped before the node finished leaving the mesh\n')
        process.exit(1)
      }
      resolve()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    process.on('SIGHUP', onSignal)
    if (stdin) {
      process.stdin.on('end', resolve)
      process.stdin.on('close', resolve)
      process.stdin.on('error', () => { resolve() })
      process.stdin.resume()
    }
  })
}

/** Runs until a stop is requested, then leaves the mesh; rejects when the node can never join. */
async function untilStopped (running: RunningNode, out: NodeOutput, seeds: string[], key: LoadedMeshKey | undefined, stopRequested: Promise<void>): Promise<void> {
  const { node } = running
  let fatal: CliError | undefined
  const watch = watchJoin(node, seeds, key, out, (err) => { fatal = err })
  await Promise.race([stopRequested, watch.fatal])
  watch.stop()
  out.stopping(node.members().length > 1)
  const deadline = setTimeout(() => {
    process.stderr.write(`weft: the node did not finish leaving within ${STOP_TIMEOUT_MS / 1000} s; exiting anyway\n`)
    process.exit(1)
  }, STOP_TIMEOUT_MS)
  deadline.unref()
  await running.stop()
  clearTimeout(deadline)
  if (fatal != null) throw fatal
  out.stopped()
}

/**
 * Follows the join: says when the node has joined; if it has seeds and has
 * not joined after JOIN_GRACE_MS, says why (again every JOIN_RECHECK_MS when
 * the reason changes), and gives up (fatal) when waiting cannot help.
 */
function watchJoin (node: RunningNode['node'], seeds: string[], key: LoadedMeshKey | undefined, out: NodeOutput, onFatal: (err: CliError) => void): { fatal: Promise<void>, stop: () => void } {
  const startedAt = Date.now()
  const meshHint = key != null ? `this node's key ${key.file} is mesh ${key.meshId.slice(0, 8)}` : 'this node runs without a key'
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let busy = false
  let diagnosedAt = 0
  let lastWarning = ''
  const stop = (): void => {
    stopped = true
    clearInterval(timer)
  }
  const fatal = new Promise<void>(resolve => {
    const check = async (): Promise<void> => {
      // a member's map holds others only once a sync with the mesh succeeded
      if (node.members().length > 1) {
        out.joined(node)
        stop()
        return
      }
      const now = Date.now()
      if (seeds.length === 0 || now - startedAt < JOIN_GRACE_MS || now - diagnosedAt < JOIN_RECHECK_MS) return
      diagnosedAt = now
      const diagnosis = await diagnoseJoin(seeds, node.libp2p.getConnections().length, meshHint)
      if (stopped || node.members().length > 1) return
      if (diagnosis.fatal) {
        stop()
        onFatal(new CliError(diagnosis.message))
        resolve()
      } else if (diagnosis.message !== lastWarning) {
        lastWarning = diagnosis.message
        process.stderr.write(`weft: ${diagnosis.message}\n`)
      }
    }
    timer = setInterval(() => {
      if (busy || stopped) return
      busy = true
      check().catch(() => {}).finally(() => { busy = false })
    }, 1000)
    timer.unref()
  })
  return { fatal, stop }
}
