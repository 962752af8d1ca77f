/** `weft put FILE|- BUCKET/KEY`: store a file (or stdin) as an object. */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { CliError } from '../errors.js'
import { connectionOptions, withClient } from '../data/connect.js'
import { explainDataError } from '../data/explain.js'
import { progressBar } from '../data/progress.js'
import { parseObjectTarget } from '../data/target.js'
import { formatBytes } from '../units.js'
import type { DataFlags } from '../data/connect.js'
import type { Command } from 'commander'

interface PutFlags extends DataFlags {
  contentType?: string
  json?: boolean
}

export function registerPut (program: Command): void {
  connectionOptions(program.command('put')
    .description('store a file (or stdin, with -) as BUCKET/KEY')
    .argument('<file>', 'the file to store, or - for stdin')
    .argument('<bucket/key>', 'where to store it, e.g. demo/data/part-0001.parquet')
    .option('--content-type <type>', 'stored with the object, e.g. application/octet-stream')
    .option('--json', 'print the result as JSON'))
    .action(async (file: string, target: string, flags: PutFlags) => {
      await put(file, target, flags)
    })
}

async function put (file: string, targetText: string, flags: PutFlags): Promise<void> {
  const target = await parseObjectTarget(targetText)
  let size: number | undefined
  if (file !== '-') {
    // before connecting: a typo in the file name should not wait for the mesh
    const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new CliError(`no such file: ${file}`)
      if (err.code === 'EACCES') throw new CliError(`cannot read ${file}: permission denied`)
      throw new CliError(`cannot read ${file}: ${err.message}`)
    })
    if (!info.isFile()) throw new CliError(`${file} is not a regular file: weft put stores one file (use - to read stdin)`)
    size = info.size
  }
  const result = await withClient(flags, async (client) => {
    const source = file === '-' ? process.stdin : createReadStream(file)
    const bar = progressBar(`put ${targetText}`, size)
    try {
      return await client.put(target.bucket, target.key, source, {
        contentType: flags.contentType,
        onProgress: (evt) => { bar.update(evt.bytes) }
      })
    } catch (err) {
      throw explainDataError(err, target)
    } finally {
      bar.stop()
    }
  })
  if (flags.json === true) {
    process.stdout.write(JSON.stringify(result) + '\n')
  } else {
    process.stdout.write(`stored ${result.bucket}/${result.key}: ${formatBytes(result.size)} in ${result.chunks} chunk${result.chunks === 1 ? '' : 's'}, etag ${result.etag}\n`)
  }
}
