/**
 * Parallel fetches, delivered in order. Jobs (one per chunk) start as long
 * as the bytes fetched but not yet handed to the consumer stay within a
 * budget, so a fast network fills the budget and a slow consumer holds at
 * most the budget in memory. The number in flight starts small and grows by
 * one with each job delivered (up to `maxJobs`): answers on one connection
 * share its bandwidth, so 16 chunks started at once would each arrive only
 * after all 16 had nearly arrived, and the first byte would wait for the
 * whole read-ahead. Output is strictly in job order whatever order
 * fetches finish in. Leaving early (break, throw, abort) cancels every fetch
 * and waits for them to wind down, so nothing outlives the iteration.
 */
import { setMaxListeners } from 'node:events'
import { DEFAULT_READ_AHEAD_BYTES, DEFAULT_READ_AHEAD_CHUNKS } from './constants.js'

/** jobs in flight when a read starts */
const INITIAL_WINDOW = 2

export interface ReadAheadInit {
  /**
   * bytes fetched ahead of the consumer (in flight or waiting); one job is
   * always allowed, however large
   *
   * @default DEFAULT_READ_AHEAD_BYTES
   */
  budgetBytes?: number
  /**
   * jobs in flight or waiting, whatever their size
   *
   * @default DEFAULT_READ_AHEAD_CHUNKS
   */
  maxJobs?: number
}

export interface ReadAheadOptions<J> extends ReadAheadInit {
  /** bytes job `j` will hold once fetched */
  cost(job: J): number
  /** fetches a job; must stop promptly when `signal` aborts */
  run(job: J, signal: AbortSignal): Promise<Uint8Array[]>
  signal?: AbortSignal
}

interface Slot {
  cost: number
  result: Promise<Uint8Array[]>
}

export async function * readAhead<J> (jobs: AsyncIterable<J>, options: ReadAheadOptions<J>): AsyncGenerator<Uint8Array, void, undefined> {
  const budget = options.budgetBytes ?? DEFAULT_READ_AHEAD_BYTES
  const maxJobs = Math.max(1, options.maxJobs ?? DEFAULT_READ_AHEAD_CHUNKS)
  let window = Math.min(maxJobs, INITIAL_WINDOW)
  const ac = new AbortController()
  // every job in flight listens on it (and each of their attempts)
  setMaxListeners(Infinity, ac.signal)
  const onAbort = (): void => { ac.abort(options.signal?.reason) }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const it = jobs[Symbol.asyncIterator]()
  const slots: Slot[] = []
  let held = 0
  let pending: J | undefined
  let exhausted = false

  const start = (job: J): void => {
    const cost = options.cost(job)
    const result = options.run(job, ac.signal)
    // a failure is raised when its slot is reached; until then it must not count as unhandled
    result.catch(() => {})
    slots.push({ cost, result })
    held += cost
  }

  try {
    options.signal?.throwIfAborted()
    for (;;) {
      while (slots.length < window) {
        if (pending === undefined) {
          if (exhausted) break
          const n = await it.next()
          if (n.done === true) {
            exhausted = true
            break
          }
          pending = n.value
        }
        if (slots.length > 0 && held + options.cost(pending) > budget) break
        start(pending)
        pending = undefined
      }
      const slot = slots.shift()
      if (slot === undefined) return
      const parts = await slot.result
      for (const part of parts) yield part
      held -= slot.cost
      window = Math.min(maxJobs, window + 1)
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    if (!ac.signal.aborted) ac.abort(new Error('read ended'))
    await Promise.allSettled(slots.map(async s => s.result))
    await it.return?.()
  }
}
