import { logger } from '@libp2p/logger'
import { DEFAULT_BULK_RETRY_AFTER, DEFAULT_MAX_REMEMBERED_FAILURES } from './constants.js'
import { BulkUnavailableError } from './errors.js'
import type { ChunkTransport } from '../chunk/client.js'
import type { PeerId } from '@libp2p/interface'

const log = logger('weft:bulk:fallback')

export interface FallbackTransportInit {
  /**
   * After the primary transport failed for a peer, use the fallback for it
   * this long (ms) before trying the primary again.
   *
   * @default DEFAULT_BULK_RETRY_AFTER
   */
  retryAfter?: number
  /**
   * Most failed peers remembered; the oldest are forgotten first.
   *
   * @default DEFAULT_MAX_REMEMBERED_FAILURES
   */
  maxRemembered?: number
  /** Called whenever a session goes over the fallback, with why */
  onFallback?(peer: PeerId, reason: Error): void
}

/**
 * Use `primary` (the bulk channel) where it works and `fallback` (libp2p)
 * where it does not: a peer without a bulk address goes to the fallback at
 * once; one whose bulk channel failed (unreachable, refused, wrong peer,
 * timed out) goes there for `retryAfter` ms without trying again. An abort
 * by the caller is not a failure of either and is not retried.
 */
export function fallbackTransport (primary: ChunkTransport, fallback: ChunkTransport, init: FallbackTransportInit = {}): ChunkTransport {
  const retryAfter = init.retryAfter ?? DEFAULT_BULK_RETRY_AFTER
  const maxRemembered = init.maxRemembered ?? DEFAULT_MAX_REMEMBERED_FAILURES
  /** peer -> when to try the primary again; insertion order is age order */
  const failed = new Map<string, number>()

  const remember = (key: string): void => {
    failed.delete(key)
    failed.set(key, Date.now() + retryAfter)
    while (failed.size > maxRemembered) {
      const oldest = failed.keys().next()
      if (oldest.done === true) {
        break
      }
      failed.delete(oldest.value)
    }
  }

  return async (peer, options = {}) => {
    const key = peer.toString()
    const until = failed.get(key)
    if (until != null) {
      if (until > Date.now()) {
        return fallback(peer, options)
      }
      failed.delete(key)
    }
    try {
      return await primary(peer, options)
    } catch (err) {
      options.signal?.throwIfAborted()
      if (!(err instanceof BulkUnavailableError)) {
        log('bulk channel to %p failed, using the fallback for %d ms - %e', peer, retryAfter, err)
        remember(key)
      }
      init.onFallback?.(peer, err as Error)
      return fallback(peer, options)
    }
  }
}
