import { CancelledError, wireCodeOf } from '@weft/protocol'
import type { ChunkHandler } from '@weft/protocol'

export type ChunkOp = 'put' | 'get' | 'has' | 'stat' | 'delete'

/** One served request, reported when its answer (and any body) is done. */
export interface ChunkRequestOutcome {
  op: ChunkOp
  /** 'OK', or the error code the peer was answered with */
  status: string
  seconds: number
  /** payload bytes read from the peer (put bodies) */
  bytesIn: number
  /** payload bytes sent to the peer (get bodies) */
  bytesOut: number
}

/** Told about every request the chunk service serves (metrics, load figures). Must not throw. */
export type ChunkRequestObserver = (outcome: ChunkRequestOutcome) => void

/**
 * Wrap a handler so each request is reported once, with its time and bytes.
 * A get is reported when its body has been sent (or failed), so its time
 * covers the transfer, not only the lookup.
 */
export function observeHandler (handler: ChunkHandler, observe: ChunkRequestObserver): ChunkHandler {
  const report = (op: ChunkOp, started: number, err: unknown, bytesIn: number, bytesOut: number): void => {
    try {
      observe({ op, status: err == null ? 'OK' : wireCodeOf(err), seconds: (performance.now() - started) / 1000, bytesIn, bytesOut })
    } catch {
      // an observer's bug must not fail a request
    }
  }
  async function timed<T> (op: ChunkOp, fn: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      const result = await fn()
      report(op, started, undefined, 0, 0)
      return result
    } catch (err) {
      report(op, started, err, 0, 0)
      throw err
    }
  }

  return {
    async put (req, body, ctx) {
      const started = performance.now()
      let bytesIn = 0
      const counted = (async function * () {
        for await (const buf of body) {
          bytesIn += buf.byteLength
          yield buf
        }
      })()
      try {
        const result = await handler.put(req, counted, ctx)
        report('put', started, undefined, bytesIn, 0)
        return result
      } catch (err) {
        report('put', started, err, bytesIn, 0)
        throw err
      }
    },

    async get (req, ctx) {
      const started = performance.now()
      let answer
      try {
        answer = await handler.get(req, ctx)
      } catch (err) {
        report('get', started, err, 0, 0)
        throw err
      }
      const data = answer.data
      let bytesOut = 0
      const counted = (async function * () {
        let failure: unknown
        try {
          for await (const buf of data) {
            bytesOut += buf.byteLength
            yield buf
          }
        } catch (err) {
          failure = err
          throw err
        } finally {
          // a consumer that stops early (cancel, session end) without an error still ends the request
          report('get', started, failure ?? (bytesOut < answer.head.length ? ctx.signal.reason ?? new CancelledError('get ended before its body was sent') : undefined), 0, bytesOut)
        }
      })()
      return { head: answer.head, data: counted }
    },

    has: async (cids, ctx) => timed('has', async () => handler.has(cids, ctx)),
    stat: async (cid, ctx) => timed('stat', async () => handler.stat(cid, ctx)),
    delete: async (cid, ctx) => timed('delete', async () => handler.delete(cid, ctx))
  }
}
