/** Reading, checking and creating mesh key files, with errors a person can act on. */
import { readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { findConfig } from './config.js'
import { CliError } from './errors.js'

export const MESH_KEY_FILE = 'mesh.key'

export interface LoadedMeshKey {
  file: string
  /** the file's content, as createNode takes it */
  content: Uint8Array
  /** derived from the key: equal on every member of one mesh, different elsewhere */
  meshId: string
}

/** Reads and validates a mesh key file. */
export async function loadMeshKey (file: string): Promise<LoadedMeshKey> {
  let content: Uint8Array
  try {
    content = await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new CliError(`mesh key ${file} does not exist: \`weft init\` writes one, or pass the right file with --mesh-key`)
    if (code === 'EACCES') throw new CliError(`cannot read mesh key ${file}: permission denied (run as the user that owns it)`)
    if (code === 'EISDIR') throw new CliError(`mesh key ${file} is a directory: pass the key file itself (e.g. ${path.join(file, MESH_KEY_FILE)})`)
    throw new CliError(`cannot read mesh key ${file}: ${(err as Error).message}`, undefined, { cause: err })
  }
  // loaded here, not at the top: commands that need no key start faster without libp2p's modules
  const { parseMeshKey } = await import('@weft/protocol')
  try {
    const key = await parseMeshKey(content)
    return { file, content, meshId: key.meshId }
  } catch (err) {
    throw new CliError(`${file} is not a weft mesh key (expected the three lines \`weft init\` writes)`, undefined, { cause: err })
  }
}

/** Writes a new mesh key, readable by its owner only; never overwrites one. */
export async function createMeshKey (file: string): Promise<LoadedMeshKey> {
  const { generateMeshKey, parseMeshKey } = await import('@weft/node')
  const content = generateMeshKey()
  await writeFile(file, content, { mode: 0o600, flag: 'wx' })
  return { file, content, meshId: (await parseMeshKey(content)).meshId }
}

/** Loads the key at `file`, creating it first when there is none; says which happened. */
export async function loadOrCreateMeshKey (file: string): Promise<{ key: LoadedMeshKey, created: boolean }> {
  try {
    return { key: await createMeshKey(file), created: true }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  return { key: await loadMeshKey(file), created: false }
}

export interface MeshKeySource {
  file: string
  /** how it was found, for the startup line */
  from: string
}

/**
 * Where a node's mesh key comes from: --mesh-key, then WEFT_MESH_KEY, then
 * `<data>/mesh.key`, then the nearest `.weft/config.json` (so a node added
 * beside `weft up` in the same folder finds the local mesh's key).
 */
export async function findNodeMeshKey (flag: string | undefined, env: NodeJS.ProcessEnv, dataDir: string, cwd: string): Promise<MeshKeySource | undefined> {
  if (flag != null) return { file: path.resolve(cwd, flag), from: '--mesh-key' }
  if (env.WEFT_MESH_KEY != null && env.WEFT_MESH_KEY !== '') return { file: path.resolve(cwd, env.WEFT_MESH_KEY), from: 'WEFT_MESH_KEY' }
  const inData = path.join(dataDir, MESH_KEY_FILE)
  if (await exists(inData)) return { file: inData, from: 'the data dir' }
  const found = await findConfig(cwd)
  if (found != null) return { file: found.config.meshKeyFile, from: found.file }
  return undefined
}

async function exists (file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false)
}
