/**
 * Capacity and usage measured from the disk. The chunk store will feed exact
 * usage through the node's usage hook; until then the data dir's size is it.
 */
import { lstat, opendir, statfs } from 'node:fs/promises'
import path from 'node:path'
import { MAX_USAGE_WALK_ENTRIES } from './constants.js'

export interface Usage {
  /** bytes this node stores */
  usedBytes: number
  /** true when it accepts no more data */
  full: boolean
}

/** Total size of the file system holding `dir`. */
export async function diskCapacity (dir: string): Promise<number> {
  const s = await statfs(dir)
  return s.blocks * s.bsize
}

/** Bytes free for an unprivileged writer on the file system holding `dir`. */
export async function diskFree (dir: string): Promise<number> {
  const s = await statfs(dir)
  return s.bavail * s.bsize
}

/** Sum of file sizes under `dir`; stops counting after `maxEntries` entries. */
export async function dirUsage (dir: string, maxEntries = MAX_USAGE_WALK_ENTRIES): Promise<number> {
  let total = 0
  let seen = 0
  const stack = [dir]
  while (stack.length > 0 && seen < maxEntries) {
    const current = stack.pop() as string
    let handle
    try {
      handle = await opendir(current)
    } catch {
      continue
    }
    for await (const entry of handle) {
      if (++seen > maxEntries) break
      const full = path.join(current, entry.name)
      if (entry.isDirectory()) {
        stack.push(full)
      } else if (entry.isFile()) {
        try {
          total += (await lstat(full)).size
        } catch {
          // removed while walking
        }
      }
    }
  }
  return total
}

/** Usage from the data dir itself, used until a chunk store provides it. */
export async function dataDirUsage (dataDir: string, capacityBytes: number): Promise<Usage> {
  const usedBytes = await dirUsage(dataDir)
  const free = await diskFree(dataDir)
  return { usedBytes, full: usedBytes >= capacityBytes || free === 0 }
}
