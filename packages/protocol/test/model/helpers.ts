/**
 * Test helpers for the model: a seeded PRNG (so every random test replays
 * from its seed) and an in-memory chunk store that counts reads.
 */
import { chunkCidSync, cidFromDigest } from '../../src/model/cid.js'
import { BLOCK_HASH_BYTES } from '../../src/model/constants.js'
import { blockHashesLength } from '../../src/model/blocks.js'
import type { ChunkEntry } from '../../src/model/blocks.js'
import type { CID } from 'multiformats/cid'

/** mulberry32: small, fast, good enough for test inputs */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function randomInt (rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1))
}

export function randomBytes (rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256)
  return out
}

/**
 * A chunk entry with a random id and random block hashes: for manifest
 * shape tests that never read chunk bytes (a 100 GiB object without 100 GiB).
 */
export function fakeEntry (rand: () => number, size: number, blockSize: number): ChunkEntry {
  const blockHashes = randomBytes(rand, blockHashesLength(size, blockSize))
  if (blockHashes.length % BLOCK_HASH_BYTES !== 0) throw new Error('bad block hash length')
  return { cid: cidFromDigest(randomBytes(rand, 32)), size, blockHashes }
}

/** An in-memory content-addressed store standing in for the chunk store. */
export class MemoryChunks {
  readonly chunks = new Map<string, Uint8Array>()
  reads = 0
  writes = 0
  bytesWritten = 0

  writeChunk = async (bytes: Uint8Array): Promise<CID> => {
    const cid = chunkCidSync(bytes)
    this.chunks.set(cid.toString(), bytes)
    this.writes++
    this.bytesWritten += bytes.length
    return cid
  }

  readChunk = async (cid: CID): Promise<Uint8Array> => {
    const bytes = this.chunks.get(cid.toString())
    if (bytes === undefined) throw new Error(`no chunk ${cid.toString()}`)
    this.reads++
    return bytes
  }
}

/** One random corruption: flip, set, insert, delete, truncate, extend or splice. */
export function mutate (rand: () => number, base: Uint8Array): Uint8Array {
  const bytes = Array.from(base)
  const n = randomInt(rand, 1, 3)
  for (let k = 0; k < n; k++) {
    const at = randomInt(rand, 0, Math.max(0, bytes.length - 1))
    switch (randomInt(rand, 0, 6)) {
      case 0: bytes[at] = (bytes[at] ?? 0) ^ (1 << randomInt(rand, 0, 7)); break
      case 1: bytes[at] = randomInt(rand, 0, 255); break
      case 2: bytes.splice(at, 0, ...randomBytes(rand, randomInt(rand, 1, 8))); break
      case 3: bytes.splice(at, randomInt(rand, 1, 8)); break
      case 4: bytes.length = at; break
      case 5: bytes.push(...randomBytes(rand, randomInt(rand, 1, 40))); break
      default: bytes[at] = [0x00, 0x7f, 0x80, 0xff][randomInt(rand, 0, 3)]!
    }
  }
  return Uint8Array.from(bytes)
}
