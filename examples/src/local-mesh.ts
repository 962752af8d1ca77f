/**
 * Where the examples get a mesh: the one named by `--seed <multiaddr>` and
 * `--mesh-key <file>` (or WEFT_SEED / WEFT_MESH_KEY), or else a small mesh
 * of nodes started in this process in a temp dir (removed on exit), so each
 * example runs on its own with `node examples/dist/src/<name>.js`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createNode, generateMeshKey } from '@weft/node'
import type { WeftNode } from '@weft/node'

export interface Mesh {
  seeds: string[]
  meshKey: Uint8Array
  /** stops the local nodes (nothing for an external mesh) */
  stop(): Promise<void>
}

function option (name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  if (i !== -1) return process.argv[i + 1]
  return process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}

export function numberOption (name: string, fallback: number): number {
  const v = option(name)
  return v === undefined ? fallback : Number(v)
}

export async function openMesh (localNodes = 3): Promise<Mesh> {
  const seed = option('seed') ?? process.env.WEFT_SEED
  const keyFile = option('mesh-key') ?? process.env.WEFT_MESH_KEY
  if (seed !== undefined) {
    if (keyFile === undefined) throw new Error('--seed needs --mesh-key <file> (the mesh.key of that mesh)')
    return { seeds: [seed], meshKey: await readFile(keyFile), stop: async () => {} }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-example-'))
  const meshKey = generateMeshKey()
  const nodes: WeftNode[] = []
  const start = async (i: number, seeds: string[]): Promise<WeftNode> => {
    const node = await createNode({ dataDir: path.join(dir, `node-${i}`), meshKey, seeds, zone: `local/zone-${i}/rack-1/host-${i}`, capacityBytes: 4 * 1024 ** 3 })
    nodes.push(node)
    await node.start()
    return node
  }
  const first = await start(0, [])
  const seeds = [first.getMultiaddrs()[0]!.toString()]
  await Promise.all(Array.from({ length: localNodes - 1 }, async (_, i) => start(i + 1, seeds)))
  // wait until the seed knows every node, so the client's first map is complete
  while (first.getMap().nodes.filter(n => n.state === 'up').length < localNodes) await new Promise(resolve => setTimeout(resolve, 50))
  return {
    seeds,
    meshKey,
    stop: async () => {
      await Promise.allSettled(nodes.map(async n => n.stop()))
      await rm(dir, { recursive: true, force: true })
    }
  }
}
