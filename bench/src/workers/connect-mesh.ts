import { connect } from '@weft/client'
import type { WeftClient } from '@weft/client'

/** How long a worker waits for its client's map to show the whole mesh. */
export const MESH_VISIBLE_TIMEOUT_MS = 30_000

/**
 * Connects a WeftClient to a bench mesh and waits until the client's map
 * shows `nodes` nodes up, so the first put can place all replicas.
 */
export async function connectToBenchMesh (seeds: string[], meshKey: string, nodes: number): Promise<WeftClient> {
  const client = await connect({ seeds, meshKey })
  const deadline = Date.now() + MESH_VISIBLE_TIMEOUT_MS
  while (client.mesh.getMap().nodes.filter(n => n.state === 'up').length < nodes) {
    if (Date.now() > deadline) {
      const seen = client.mesh.getMap().nodes.length
      await client.close()
      throw new Error(`the client saw only ${seen} of ${nodes} nodes`)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return client
}

/** Creates the bucket unless it exists. */
export async function ensureBucket (client: WeftClient, name: string, replicas: number): Promise<void> {
  try {
    await client.getBucket(name)
  } catch {
    await client.createBucket(name, { replicas })
  }
}
