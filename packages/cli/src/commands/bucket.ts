/** `weft bucket create|ls|rm`: buckets and their placement policy. */
import { InvalidArgumentError } from 'commander'
import { connectionOptions, withClient } from '../data/connect.js'
import { explainDataError } from '../data/explain.js'
import { parseBucket } from '../data/target.js'
import { countArg, sizeArg } from '../options.js'
import { renderTable } from '../table.js'
import { formatBytes } from '../units.js'
import type { DataFlags } from '../data/connect.js'
import type { Command } from 'commander'

interface CreateFlags extends DataFlags {
  replicas?: number
  zones?: string[]
  spread?: 'zone' | 'rack' | 'host'
  chunkSize?: number
}

function spreadArg (text: string): 'zone' | 'rack' | 'host' {
  if (text === 'zone' || text === 'rack' || text === 'host') return text
  throw new InvalidArgumentError(`"${text}" is not one of zone, rack, host`)
}

function zonesArg (text: string): string[] {
  return text.split(',').map(z => z.trim()).filter(z => z !== '')
}

export function registerBucket (program: Command): void {
  const bucket = program.command('bucket').description('create, list and remove buckets')

  connectionOptions(bucket.command('create')
    .description('create bucket NAME with a placement policy')
    .argument('<name>', 'bucket name: 3-63 lowercase letters, digits, dots and hyphens')
    .option('--replicas <n>', 'copies of every chunk (default 3)', countArg(1, 16))
    .option('--zones <list>', 'comma-separated zone prefixes the data may live in, e.g. eu/,us-east/dc2 (default anywhere)', zonesArg)
    .option('--spread <level>', 'no two replicas share a zone, rack or host (default host)', spreadArg)
    .option('--chunk-size <size>', 'chunk size for new objects, 1KiB to 8MiB (default 4MiB)', sizeArg))
    .action(async (name: string, flags: CreateFlags) => {
      await parseBucket(name)
      const record = await withClient(flags, async (client) => {
        try {
          return await client.createBucket(name, {
            ...(flags.replicas != null ? { replicas: flags.replicas } : {}),
            ...(flags.zones != null ? { allowedZones: flags.zones } : {}),
            ...(flags.spread != null ? { spread: flags.spread } : {}),
            ...(flags.chunkSize != null ? { chunkSize: flags.chunkSize } : {})
          })
        } catch (err) {
          throw explainDataError(err, { bucket: name })
        }
      })
      const p = record.policy
      process.stdout.write(`created bucket ${name}: ${p.replicas} replica${p.replicas === 1 ? '' : 's'} on distinct ${p.spread}s, ${p.allowedZones.length === 0 ? 'in any zone' : `in ${p.allowedZones.join(', ')}`}, ${formatBytes(p.chunkSize)} chunks\n`)
    })

  connectionOptions(bucket.command('ls')
    .description('list buckets and their policies')
    .option('--json', 'print JSON'))
    .action(async (flags: DataFlags & { json?: boolean }) => {
      const records = await withClient(flags, async (client) => client.listBuckets())
      if (flags.json === true) {
        process.stdout.write(JSON.stringify(records, null, 2) + '\n')
        return
      }
      if (records.length === 0) {
        process.stdout.write('no buckets yet: `weft bucket create NAME`\n')
        return
      }
      const rows = records.map(r => [r.name, String(r.policy.replicas), r.policy.spread, r.policy.allowedZones.length === 0 ? '*' : r.policy.allowedZones.join(','), formatBytes(r.policy.chunkSize)])
      process.stdout.write(renderTable(['NAME', 'REPLICAS', 'SPREAD', 'ZONES', 'CHUNK'], rows, new Set([1, 4])) + '\n')
    })

  connectionOptions(bucket.command('rm')
    .description('remove the empty bucket NAME')
    .argument('<name>', 'the bucket'))
    .action(async (name: string, flags: DataFlags) => {
      await parseBucket(name)
      await withClient(flags, async (client) => {
        try {
          await client.deleteBucket(name)
        } catch (err) {
          throw explainDataError(err, { bucket: name })
        }
      })
      process.stdout.write(`removed bucket ${name}\n`)
    })
}
