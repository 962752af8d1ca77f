/** `weft ls BUCKET[/PREFIX]`: the objects of a bucket, in key order. */
import { connectionOptions, withClient } from '../data/connect.js'
import { explainDataError } from '../data/explain.js'
import { parseListTarget } from '../data/target.js'
import { formatBytes } from '../units.js'
import type { DataFlags } from '../data/connect.js'
import type { Command } from 'commander'

interface LsFlags extends DataFlags {
  json?: boolean
  limit?: number
}

export function registerLs (program: Command): void {
  connectionOptions(program.command('ls')
    .description('list the objects of BUCKET (under PREFIX) in key order')
    .argument('<bucket[/prefix]>', 'e.g. demo or demo/data/')
    .option('--json', 'one JSON object per line')
    .option('--limit <n>', 'at most this many', (v: string) => Number.parseInt(v, 10)))
    .action(async (target: string, flags: LsFlags) => {
      const { bucket, prefix } = await parseListTarget(target)
      await withClient(flags, async (client) => {
        try {
          for await (const o of client.list(bucket, { prefix, limit: flags.limit })) {
            process.stdout.write(flags.json === true
              ? JSON.stringify(o) + '\n'
              : `${new Date(o.version.wallMs).toISOString().slice(0, 19).replace('T', ' ')}  ${formatBytes(o.size).padStart(10)}  ${o.key}\n`)
          }
        } catch (err) {
          throw explainDataError(err, { bucket })
        }
      })
    })
}
