/**
 * Connecting a data command to the mesh as a client: the seeds and key come
 * from flags, the environment or the nearest `.weft/config.json`. Seeds are
 * probed first, so "nothing listens there" fails at once with advice instead
 * of after the client's connect timeout.
 */
import { resolveConnection } from '../config.js'
import { CliError } from '../errors.js'
import { loadMeshKey } from '../mesh-key.js'
import { probeSeed } from '../node/seed-check.js'
import type { SeedReach } from '../node/seed-check.js'
import type { ConnectionFlags } from '../config.js'
import type { WeftClient } from '@weft/client'
import type { Command } from 'commander'

export interface DataFlags extends ConnectionFlags {
  /** this client's zone, to read from nearby replicas */
  zone?: string
}

/** The options every data command takes. */
export function connectionOptions (cmd: Command): Command {
  return cmd
    .option('--seed <multiaddr...>', 'any node of the mesh (default: $WEFT_SEED, or the nearest .weft/config.json)')
    .option('--mesh-key <file>', 'the mesh key file (default: $WEFT_MESH_KEY, or the nearest .weft/config.json)')
    .option('--zone <path>', 'this client\'s zone: reads prefer replicas there')
}

/** Runs `fn` with a connected client, and closes it after. */
export async function withClient<T> (flags: DataFlags, fn: (client: WeftClient) => Promise<T>): Promise<T> {
  const conn = await resolveConnection(flags)
  const key = await loadMeshKey(conn.meshKeyFile)
  const { open, reach } = await anySeedOpen(conn.seeds)
  const seedList = conn.seeds.length > 1 ? `${conn.seeds[0] ?? ''} (and ${conn.seeds.length - 1} more)` : conn.seeds[0] ?? ''
  if (!open) {
    const why = reach.every(r => r === 'refused') ? 'connection refused' : 'no answer'
    const hint = conn.source.endsWith('config.json') ? ' (from ' + conn.source + ')' : ''
    throw new CliError(`cannot reach seed ${seedList}${hint}: ${why}; is a mesh running? try \`weft up\``)
  }
  // libp2p and the client load only for the commands that use them
  const { connect } = await import('@weft/client')
  let client: WeftClient
  try {
    client = await connect({ seeds: conn.seeds, meshKey: key.content, zone: flags.zone })
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_NO_SEED_REACHABLE') {
      throw new CliError(`cannot join through ${seedList}: it accepts connections but the handshake fails; is the mesh key right? (${key.file} is mesh ${key.meshId.slice(0, 8)}; \`weft status\` on a member shows its mesh)`, undefined, { cause: err })
    }
    throw err
  }
  try {
    return await fn(client)
  } finally {
    await client.close().catch(() => {})
  }
}

/** Probes every seed at once; resolves as soon as one accepts (a dead seed beside a live one costs nothing). */
async function anySeedOpen (seeds: string[]): Promise<{ open: boolean, reach: SeedReach[] }> {
  const reach: SeedReach[] = []
  return new Promise(resolve => {
    for (const seed of seeds) {
      void probeSeed(seed).then(r => {
        reach.push(r)
        if (r === 'listening' || r === 'unknown') resolve({ open: true, reach })
        else if (reach.length === seeds.length) resolve({ open: false, reach })
      })
    }
  })
}
