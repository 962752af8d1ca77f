/**
 * `weft get BUCKET/KEY [FILE|-]`: an object's bytes, verified, to a file or
 * stdout. A file is written beside its final name and renamed when complete,
 * so a failed get never leaves a truncated file under the real name.
 */
import { createWriteStream, rmSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { connectionOptions, withClient } from '../data/connect.js'
import { explainDataError } from '../data/explain.js'
import { progressBar } from '../data/progress.js'
import { parseObjectTarget } from '../data/target.js'
import type { DataFlags } from '../data/connect.js'
import type { Command } from 'commander'

export function registerGet (program: Command): void {
  connectionOptions(program.command('get')
    .description('write the object BUCKET/KEY to FILE, or to stdout (- or no FILE)')
    .argument('<bucket/key>', 'the object, e.g. demo/data/part-0001.parquet')
    .argument('[file]', 'where to write it; - or nothing: stdout'))
    .action(async (target: string, file: string | undefined, flags: DataFlags) => {
      await get(target, file ?? '-', flags)
    })
}

async function get (targetText: string, file: string, flags: DataFlags): Promise<void> {
  const target = await parseObjectTarget(targetText)
  const toStdout = file === '-'
  // a bar on the terminal the bytes go to would garble both
  const barWanted = process.stderr.isTTY && !(toStdout && process.stdout.isTTY)
  const tmp = toStdout ? undefined : path.join(path.dirname(file), `.${path.basename(file)}.weft-${process.pid}.tmp`)
  // Ctrl-C mid-transfer: no half-written temp file left behind
  const onSignal = (): void => {
    if (tmp != null) rmSync(tmp, { force: true })
    process.exit(130)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  await withClient(flags, async (client) => {
    try {
      const size = barWanted ? (await client.head(target.bucket, target.key)).size : undefined
      const bar = progressBar(`get ${targetText}`, size, barWanted)
      let done = 0
      const counted = async function * (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
        for await (const piece of source) {
          done += piece.byteLength
          bar.update(done)
          yield piece
        }
      }
      try {
        await pipeline(client.get(target.bucket, target.key), counted, toStdout ? process.stdout : createWriteStream(tmp ?? file), toStdout ? { end: false } : {})
      } finally {
        bar.stop()
      }
      if (tmp != null) await rename(tmp, file)
    } catch (err) {
      if (tmp != null) await rm(tmp, { force: true })
      // the reader of stdout went away (`| head`): what it wanted it got
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return
      throw explainDataError(err, target)
    }
  })
}
