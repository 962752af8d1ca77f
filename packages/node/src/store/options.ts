import { DEFAULT_FULL_BELOW_BYTES, DEFAULT_RESERVE_BYTES, MAX_CHUNK_SIZE } from './constants.js'
import type { ChunkStoreInit } from './index.js'

/** `ChunkStoreInit` with every default applied, validated once at open */
export interface StoreOptions {
  dir: string
  capacityBytes: number
  reserveBytes: number
  maxChunkSize: number
  fullBelowBytes: number
}

export function resolveOptions (init: ChunkStoreInit): StoreOptions {
  if (typeof init.dir !== 'string' || init.dir === '') {
    throw new TypeError('dir is required')
  }
  const options: StoreOptions = {
    dir: init.dir,
    capacityBytes: init.capacityBytes ?? Infinity,
    reserveBytes: init.reserveBytes ?? DEFAULT_RESERVE_BYTES,
    maxChunkSize: init.maxChunkSize ?? MAX_CHUNK_SIZE,
    fullBelowBytes: init.fullBelowBytes ?? DEFAULT_FULL_BELOW_BYTES
  }
  for (const name of ['capacityBytes', 'reserveBytes', 'fullBelowBytes'] as const) {
    if (!(options[name] >= 0)) {
      throw new TypeError(`${name} must be a non-negative number, got ${options[name]}`)
    }
  }
  if (!(Number.isSafeInteger(options.maxChunkSize) && options.maxChunkSize > 0)) {
    throw new TypeError(`maxChunkSize must be a positive integer, got ${options.maxChunkSize}`)
  }
  return options
}
