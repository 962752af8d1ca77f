import { readFile } from 'node:fs/promises'
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
  return { seeds: config.seeds, meshKeyFile: path.resolve(path.dirname(file), config.meshKeyFile), admin: config.admin }
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
