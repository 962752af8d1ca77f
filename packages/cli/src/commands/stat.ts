/** `weft stat BUCKET/KEY`: what an object is (size, ETag, type, version, chunks). */
import { connectionOptions, withClient } from '../data/connect.js'
import { explainDataError } from '../data/explain.js'
import { parseObjectTarget } from '../data/target.js'
import { formatBytes } from '../units.js'
import type { DataFlags } from '../data/connect.js'
import type { Command } from 'commander'

export function registerStat (program: Command): void {
  connectionOptions(program.command('stat')
    .description('show what the object BUCKET/KEY is: size, ETag, content type, version, chunks')
    .argument('<bucket/key>', 'the object')
    .option('--json', 'print JSON'))
    .action(async (text: string, flags: DataFlags & { json?: boolean }) => {
      const target = await parseObjectTarget(text)
      const info = await withClient(flags, async (client) => {
        try {
          return await client.head(target.bucket, target.key)
        } catch (err) {
          throw explainDataError(err, target)
        }
      })
      if (flags.json === true) {
        process.stdout.write(JSON.stringify(info, null, 2) + '\n')
        return
      }
      const meta = Object.entries(info.metadata)
      const lines = [
        `object        ${info.bucket}/${info.key}`,
        `size          ${formatBytes(info.size)} (${info.size} bytes)`,
        `etag          ${info.etag}`,
        `content type  ${info.contentType ?? '-'}`,
        `written       ${new Date(info.version.wallMs).toISOString()} by ${info.version.writer}`,
        `chunks        ${info.chunks}`,
        `manifest      ${info.manifest}`,
        ...meta.map(([k, v], i) => `${i === 0 ? 'metadata' : ''.padEnd(8)}      ${k}: ${v}`)
      ]
      process.stdout.write(lines.join('\n') + '\n')
    })
}
