import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { openChunkStore } from '../../src/store/index.js'
import type { ChunkStore, ChunkStoreInit } from '../../src/store/index.js'

export const KiB = 1024
export const MiB = 1024 * KiB

/** Temp data dirs and stores opened by a test, all removed in `cleanup()`. */
export class Harness {
  private readonly dirs: string[] = []
  private readonly stores: ChunkStore[] = []

  async dir (): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'weft-store-'))
    this.dirs.push(dir)
    return dir
  }

  async open (init: Partial<ChunkStoreInit> = {}): Promise<ChunkStore> {
    const store = await openChunkStore({ reserveBytes: 0, ...init, dir: init.dir ?? await this.dir() })
    this.stores.push(store)
    return store
  }

  async cleanup (): Promise<void> {
    for (const store of this.stores.splice(0)) {
      await store.close()
    }
    for (const dir of this.dirs.splice(0)) {
      await fs.rm(dir, { recursive: true, force: true })
    }
  }
}

export async function cidOf (bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(bytes))
}

export async function chunk (size: number): Promise<{ bytes: Uint8Array, cid: CID }> {
  const bytes = new Uint8Array(randomBytes(size))
  return { bytes, cid: await cidOf(bytes) }
}

/** `bytes` as an async stream of uneven pieces, like a network source */
export async function * pieces (bytes: Uint8Array, sizes: number[] = [1, 1000, 65536, 7, 300000]): AsyncGenerator<Uint8Array> {
  let at = 0
  let i = 0
  while (at < bytes.byteLength) {
    const n = sizes[i++ % sizes.length] ?? 1
    yield bytes.slice(at, at + n)
    at += n
  }
}

/** a source that counts how many pieces were pulled from it */
export function counted (bytes: Uint8Array): { source: AsyncIterable<Uint8Array>, pulled: () => number } {
  let pulled = 0
  const source = (async function * () {
    for await (const p of pieces(bytes)) {
      pulled++
      yield p
    }
  })()
  return { source, pulled: () => pulled }
}

/**
 * A source that yields `first` and then stalls until `release`; `waiting`
 * resolves once the consumer has taken `first` and asked for more.
 */
export function stalled (first: Uint8Array): { source: AsyncIterable<Uint8Array>, waiting: Promise<void>, release: () => void } {
  let release: () => void = () => {}
  let nowWaiting: () => void = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  const waiting = new Promise<void>(resolve => { nowWaiting = resolve })
  const source = (async function * () {
    yield first
    nowWaiting()
    await gate
  })()
  return { source, waiting, release }
}

export async function collect (source: AsyncIterable<Uint8Array>, seen?: Uint8Array[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = seen ?? []
  for await (const p of source) {
    parts.push(p)
  }
  return Buffer.concat(parts)
}

/** every file below `dir`, relative paths */
export async function filesUnder (dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile()).map(e => path.relative(dir, path.join(e.parentPath, e.name))).sort()
}

/** where the store keeps a chunk's file (DESIGN section 9 layout) */
export function chunkFile (dir: string, cid: CID): string {
  const hex = Buffer.from(cid.multihash.digest).toString('hex')
  return path.join(dir, 'chunks', hex.slice(0, 2), hex.slice(2, 4), cid.toString())
}

/** flip one bit of the byte at `offset` of a file, in place */
export async function flipByte (file: string, offset: number): Promise<void> {
  const fh = await fs.open(file, 'r+')
  try {
    const b = Buffer.alloc(1)
    await fh.read(b, 0, 1, offset)
    b[0] = (b[0] ?? 0) ^ 0x01
    await fh.write(b, 0, 1, offset)
  } finally {
    await fh.close()
  }
}
