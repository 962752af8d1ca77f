/**
 * A chunk write that fails only because of transient trouble (a stream that
 * broke, a timeout, a busy or briefly unreachable replica) is worth another
 * try: chunks are content-addressed, so a repeat writes nothing twice, and
 * with `probe` it sends bytes only to replicas that lack the chunk. Failures
 * that will not pass (a full store, bad bytes, too few nodes) are not retried.
 */
import { InsufficientReplicasError } from '@weft/protocol'
import { CHUNK_WRITE_RETRY_DELAY_MS, DEFAULT_CHUNK_WRITE_RETRIES } from './constants.js'
import type { WriteChunkOptions, WriteChunkResult } from '@weft/protocol'

const TRANSIENT = new Set(['ERR_SESSION_CLOSED', 'ERR_TIMEOUT', 'ERR_BUSY', 'ERR_PEER_UNREACHABLE', 'ERR_CHAIN_BROKEN'])

/** True when every replica's failure is of a kind that may pass. */
export function isTransient (err: unknown): boolean {
  return err instanceof InsufficientReplicasError && err.failures.length > 0 && err.failures.every(f => TRANSIENT.has(f.code))
}

export async function writeWithRetry (write: (options: WriteChunkOptions) => Promise<WriteChunkResult>, options: WriteChunkOptions, retries = DEFAULT_CHUNK_WRITE_RETRIES): Promise<WriteChunkResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write(attempt === 0 ? options : { ...options, probe: true })
    } catch (err) {
      if (attempt >= retries || !isTransient(err)) throw err
      options.signal?.throwIfAborted()
      await sleep(CHUNK_WRITE_RETRY_DELAY_MS * 2 ** attempt, options.signal)
    }
  }
}

async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason as Error)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
