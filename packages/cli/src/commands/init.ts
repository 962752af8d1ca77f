/** `weft init`: a mesh key and a config file, then what to do next. */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { readConfigIn, writeConfigIn } from '../config.js'
import { DEFAULT_UP_DIR } from '../constants.js'
import { MESH_KEY_FILE, loadOrCreateMeshKey } from '../mesh-key.js'
import type { Command } from 'commander'

export function registerInit (program: Command): void {
  program.command('init')
    .description('write a new mesh key and a config file (keeps them if they exist)')
    .option('--dir <dir>', 'where to write them', DEFAULT_UP_DIR)
    .action(async (opts: { dir: string }) => {
      await init(opts.dir)
    })
}

async function init (dirArg: string): Promise<void> {
  const dir = path.resolve(process.cwd(), dirArg)
  const shown = path.relative(process.cwd(), dir) === '' ? '.' : path.relative(process.cwd(), dir)
  const keyFile = path.join(dir, MESH_KEY_FILE)
  await mkdir(dir, { recursive: true })
  const { key, created } = await loadOrCreateMeshKey(keyFile)
  const keyShown = path.join(shown, MESH_KEY_FILE)
  const existing = await readConfigIn(dir)
  const configFile = path.join(shown, 'config.json')
  if (existing == null) await writeConfigIn(dir, { seeds: [], meshKeyFile: MESH_KEY_FILE })
  const lines = [
    `${created ? 'wrote' : 'kept '} ${keyShown}   the mesh key (mesh ${key.meshId.slice(0, 8)}): every node of the mesh needs this file; keep it secret`,
    `${existing == null ? 'wrote' : 'kept '} ${configFile}   where weft commands run in this folder find the mesh`,
    '',
    'next:',
    '  weft up',
    '      run a local mesh of 3 nodes here, on this key (Ctrl-C stops it)',
    `  weft node start --data /var/lib/weft --mesh-key ${keyShown} --listen /ip4/0.0.0.0/tcp/4001`,
    '      run a node on this machine; it prints its address first',
    '  copy the key to each other machine, and start its node with --seed <that address>'
  ]
  process.stdout.write(lines.join('\n') + '\n')
}
