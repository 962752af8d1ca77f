/** `weft rm BUCKET/KEY`: delete an object (deleting a missing one is not an error). */
import { connectionOptions, withClient } from '../data/connect.js'
import { explainDataError } from '../data/explain.js'
import { parseObjectTarget } from '../data/target.js'
import type { DataFlags } from '../data/connect.js'
import type { Command } from 'commander'

export function registerRm (program: Command): void {
  connectionOptions(program.command('rm')
    .description('delete the object BUCKET/KEY')
    .argument('<bucket/key>', 'the object'))
    .action(async (text: string, flags: DataFlags) => {
      const target = await parseObjectTarget(text)
      await withClient(flags, async (client) => {
        try {
          await client.delete(target.bucket, target.key)
        } catch (err) {
          throw explainDataError(err, target)
        }
      })
      process.stdout.write(`deleted ${target.bucket}/${target.key}\n`)
    })
}
