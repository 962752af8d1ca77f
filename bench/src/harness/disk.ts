import { open } from 'node:fs/promises'
import path from 'node:path'
import { makeTempRoot, removeTempRoot } from './temp.js'

/**
 * The disk's ceiling for durable chunk writes, measured in the scenario's
 * own run: `writers` concurrent loops (one per replica's node) each write
 * files of `fileBytes` from one reused buffer and fsync each, as a node's
 * store does per chunk (without its index and directory syncs, so this is
 * an upper bound). Every replica of a weft mesh on one box writes to this
 * one disk, so a put at r copies cannot beat `mbps / r`.
 */
export interface DiskWriteResult {
  /** fsynced MB/s over all writers (1 MB = 1e6 bytes) */
  mbps: number
  bytes: number
  writers: number
}

export async function measureFsyncedWrites (init: { bytes: number, writers: number, fileBytes?: number }): Promise<DiskWriteResult> {
  const fileBytes = init.fileBytes ?? 4 * 1024 * 1024
  const root = await makeTempRoot('disk')
  try {
    const buf = Buffer.alloc(fileBytes, 0x5a)
    const files = Math.max(1, Math.ceil(init.bytes / fileBytes / init.writers))
    const started = performance.now()
    await Promise.all(Array.from({ length: init.writers }, async (_, w) => {
      for (let i = 0; i < files; i++) {
        const fh = await open(path.join(root, `w${w}-${i}`), 'wx')
        try {
          await fh.write(buf, 0, buf.byteLength)
          await fh.sync()
        } finally {
          await fh.close()
        }
      }
    }))
    const seconds = (performance.now() - started) / 1000
    const bytes = files * init.writers * fileBytes
    return { mbps: bytes / 1e6 / seconds, bytes, writers: init.writers }
  } finally {
    await removeTempRoot(root)
  }
}
