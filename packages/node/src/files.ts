/**
 * Durable small files: write a temp file, fsync it, rename it over the
 * target, fsync the directory. A crash leaves the old or the new content,
 * never a torn one.
 */
import { open, rename, rm } from 'node:fs/promises'
import path from 'node:path'

export async function writeFileAtomic (file: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  const fh = await open(tmp, 'w', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await fsyncDir(path.dirname(file))
}

export async function fsyncDir (dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
