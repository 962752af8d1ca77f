import fs from 'node:fs/promises'
import path from 'node:path'
import { logger } from '@libp2p/logger'
import { parseChunkFileName } from './cid.js'
import { hasCode } from './layout.js'
import type { ChunkEntry, ChunkIndex } from './chunk-index.js'
import type { ChunkId } from './cid.js'
import type { Layout } from './layout.js'

const log = logger('weft:store:recover')

/**
 * Startup repair. A crash can leave: temp files (any time before the rename),
 * a chunk file without an index entry (between rename and index write), or
 * (after a delete or quarantine was cut short) an index entry without a file.
 * This walks the chunk files and the index side by side, both in digest
 * order, so it needs memory for one leaf directory at a time.
 */

export interface RecoverHandlers {
  /** a file with no index entry: verify and index it, or quarantine it */
  adopt(id: ChunkId, file: string): Promise<void>
  /** an index entry with no file: drop it */
  drop(key: string): Promise<void>
  /** a file and its index entry agree: count it */
  keep(key: string, entry: ChunkEntry): void
}

export interface RecoverStats {
  tempFiles: number
  adopted: number
  dropped: number
  kept: number
}

export async function recover (layout: Layout, index: ChunkIndex, handlers: RecoverHandlers): Promise<RecoverStats> {
  const stats: RecoverStats = { tempFiles: await emptyTmp(layout), adopted: 0, dropped: 0, kept: 0 }
  const files = walkChunkFiles(layout.chunks)
  const entries = index.entries()
  try {
    let f = await files.next()
    let e = await entries.next()
    while (f.done !== true || e.done !== true) {
      if (e.done === true || (f.done !== true && f.value.id.key < e.value[0])) {
        const { id, file } = f.value as ChunkFile
        await handlers.adopt(id, file)
        stats.adopted++
        f = await files.next()
      } else if (f.done === true || e.value[0] < f.value.id.key) {
        await handlers.drop(e.value[0])
        stats.dropped++
        e = await entries.next()
      } else {
        handlers.keep(e.value[0], e.value[1])
        stats.kept++
        f = await files.next()
        e = await entries.next()
      }
    }
  } finally {
    await entries.return(undefined)
    await files.return(undefined)
  }
  if (stats.tempFiles + stats.adopted + stats.dropped > 0) {
    log('removed %d temp files, indexed %d unindexed chunk files, dropped %d entries without a file', stats.tempFiles, stats.adopted, stats.dropped)
  }
  return stats
}

/** remove everything under <dir>/tmp: writes that never completed */
async function emptyTmp (layout: Layout): Promise<number> {
  const names = await fs.readdir(layout.tmp)
  for (const name of names) {
    await fs.rm(path.join(layout.tmp, name), { recursive: true, force: true })
  }
  return names.length
}

interface ChunkFile {
  id: ChunkId
  file: string
}

/**
 * Chunk files in digest order: sorted fan-out dirs, each leaf sorted by
 * digest. The leaves of one top-level dir are read concurrently (readdir
 * round trips dominate the walk); memory holds one top dir's names, 1/256 of
 * the store.
 */
async function * walkChunkFiles (chunks: string): AsyncGenerator<ChunkFile, void, undefined> {
  for (const top of await hexDirs(chunks)) {
    const leaves = await hexDirs(path.join(chunks, top))
    const listed = await Promise.all(leaves.map(async leaf => readLeaf(path.join(chunks, top, leaf), top + leaf)))
    for (const found of listed) {
      yield * found
    }
  }
}

/** the chunk files of one leaf dir, sorted by digest */
async function readLeaf (dir: string, prefix: string): Promise<ChunkFile[]> {
  const found: ChunkFile[] = []
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch (err) {
    if (hasCode(err, 'ENOTDIR')) {
      return []
    }
    throw err
  }
  for (const name of names) {
    const id = parseChunkFileName(name)
    if (id == null || !id.key.startsWith(prefix)) {
      log('ignoring stray file %s', path.join(dir, name))
      continue
    }
    found.push({ id, file: path.join(dir, name) })
  }
  return found.sort((a, b) => a.id.key < b.id.key ? -1 : a.id.key > b.id.key ? 1 : 0)
}

async function hexDirs (dir: string): Promise<string[]> {
  try {
    const names = await fs.readdir(dir)
    return names.filter(n => /^[0-9a-f]{2}$/.test(n)).sort()
  } catch (err) {
    if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) {
      return []
    }
    throw err
  }
}
