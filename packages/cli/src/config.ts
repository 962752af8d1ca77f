import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CliError } from './errors.js'

/** What `weft up` writes to `.weft/config.json`, and `weft init` to its dir. */
export interface WeftConfig {
  /** seed multiaddrs (with /p2p/) of running nodes */
  seeds: string[]
  /** path of the mesh key file, absolute or relative to the config file */
  meshKeyFile: string
  /** admin URLs of the local nodes, when known */
  admin?: string[]
  /** the nodes `weft up` runs from this folder (what a re-run reuses) */
  nodes?: LocalNode[]
  /** pid of the `weft up` process while it runs */
  upPid?: number
}

/** One node of a local mesh, as `weft up` last ran it. */
export interface LocalNode {
  /** `node-1`, `node-2`, ... */
  name: string
  /** data dir, relative to the config file */
  dataDir: string
  zone: string
  peerId?: string
  multiaddr?: string
  admin?: string
  listenPort?: number
  adminPort?: number
  /** while `weft up` runs */
  pid?: number
}

export const CONFIG_DIR = '.weft'
export const CONFIG_FILE = 'config.json'

/** Flags and environment a client command can be pointed at a mesh with. */
export interface ConnectionFlags {
  seed?: string[]
  meshKey?: string
}

export interface ResolvedConnection {
  seeds: string[]
  meshKeyFile: string
  /** where the settings came from, for error messages */
  source: string
}

/** Walks up from `start` to the nearest `.weft/config.json`. */
export async function findConfig (start: string): Promise<{ file: string, config: WeftConfig } | undefined> {
  let dir = path.resolve(start)
  for (;;) {
    const file = path.join(dir, CONFIG_DIR, CONFIG_FILE)
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined
      throw err
    })
    if (text != null) return { file, config: parseConfig(text, file) }
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

export function parseConfig (text: string, file: string): WeftConfig {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new CliError(`${file} is not valid JSON; delete it or run \`weft up\` again`)
  }
  const config = raw as Partial<WeftConfig>
  if (!Array.isArray(config.seeds) || !config.seeds.every(s => typeof s === 'string') || typeof config.meshKeyFile !== 'string') {
    throw new CliError(`${file} lacks "seeds" or "meshKeyFile"; delete it or run \`weft up\` again`)
  }
  const admin = Array.isArray(config.admin) ? config.admin.filter((a): a is string => typeof a === 'string') : undefined
  const nodes = Array.isArray(config.nodes) ? config.nodes.filter(isLocalNode) : undefined
  const upPid = typeof config.upPid === 'number' && Number.isSafeInteger(config.upPid) ? config.upPid : undefined
  return { seeds: config.seeds, meshKeyFile: path.resolve(path.dirname(file), config.meshKeyFile), admin, nodes, upPid }
}

function isLocalNode (n: unknown): n is LocalNode {
  const o = n as Partial<LocalNode> | null
  return o != null && typeof o.name === 'string' && typeof o.dataDir === 'string' && typeof o.zone === 'string'
}

/** Reads `<dir>/config.json` (undefined when there is none). */
export async function readConfigIn (dir: string): Promise<WeftConfig | undefined> {
  const file = path.join(dir, CONFIG_FILE)
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  return text == null ? undefined : parseConfig(text, file)
}

/**
 * Writes `<dir>/config.json` atomically (temp file + rename), so a command
 * reading it while `weft up` rewrites it never sees half a file. The mesh key
 * path is stored relative to the config file when it lives beside it, so the
 * folder can be moved.
 */
export async function writeConfigIn (dir: string, config: WeftConfig): Promise<string> {
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, CONFIG_FILE)
  const keyFile = path.resolve(dir, config.meshKeyFile)
  const rel = path.relative(dir, keyFile)
  const meshKeyFile = rel.startsWith('..') || path.isAbsolute(rel) ? keyFile : rel
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(tmp, JSON.stringify({ ...config, meshKeyFile }, null, 2) + '\n')
  await rename(tmp, file)
  return file
}

/**
 * Flags win over the environment (WEFT_SEED, comma-separated, and
 * WEFT_MESH_KEY, a file path), which wins over the nearest config file.
 */
export async function resolveConnection (flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<ResolvedConnection> {
  const envSeeds = env.WEFT_SEED?.split(',').map(s => s.trim()).filter(s => s !== '')
  let seeds = flags.seed != null && flags.seed.length > 0 ? flags.seed : envSeeds
  let meshKeyFile = flags.meshKey ?? env.WEFT_MESH_KEY
  let source = flags.seed != null && flags.seed.length > 0 ? '--seed' : envSeeds != null && envSeeds.length > 0 ? 'WEFT_SEED' : ''
  if (seeds == null || seeds.length === 0 || meshKeyFile == null) {
    const found = await findConfig(cwd)
    if (found != null) {
      seeds = seeds != null && seeds.length > 0 ? seeds : found.config.seeds
      meshKeyFile ??= found.config.meshKeyFile
      source = source === '' ? found.file : source
    }
  }
  if (seeds == null || seeds.length === 0) {
    throw new CliError('no mesh to talk to: pass --seed MULTIADDR, set WEFT_SEED, or run `weft up` in this folder first')
  }
  if (meshKeyFile == null) {
    throw new CliError('no mesh key: pass --mesh-key FILE or set WEFT_MESH_KEY (`weft init` writes one)')
  }
  return { seeds, meshKeyFile: path.resolve(cwd, meshKeyFile), source }
}
