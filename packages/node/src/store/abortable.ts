/**
 * Iterate `source` so that `signal` ends the iteration at once, even while
 * the source is stalled (a slow or silent network peer). On abort the
 * source's `return()` is called without waiting for it, because a generator
 * that is stuck in an await cannot return until that await settles.
 */
export async function * abortable<T> (source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T, void, undefined> {
  if (signal == null) {
    yield * source
    return
  }
  signal.throwIfAborted()
  const it = source[Symbol.asyncIterator]()
  let onAbort: () => void = () => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(reasonOf(signal)) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  aborted.catch(() => {})
  let finished = false
  try {
    while (true) {
      const next = it.next()
      // the losing `next()` of an aborted race must not become an unhandled rejection
      next.catch(() => {})
      const result = await Promise.race([next, aborted])
      if (result.done === true) {
        finished = true
        return
      }
      yield result.value
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    if (!finished) {
      it.return?.()?.catch(() => {})
    }
  }
}

function reasonOf (signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason : new Error(String(reason))
}

/**
 * A signal that aborts when any of `signals` does. Unlike `AbortSignal.any`
 * it is released explicitly (`clear()`), so one put per chunk over a
 * long-lived store signal leaves no listeners behind.
 */
export function anySignal (signals: Array<AbortSignal | undefined>): { signal: AbortSignal, clear: () => void } {
  const controller = new AbortController()
  const cleanups: Array<() => void> = []
  for (const s of signals) {
    if (s == null) {
      continue
    }
    if (s.aborted) {
      controller.abort(s.reason)
      break
    }
    const onAbort = (): void => { controller.abort(s.reason) }
    s.addEventListener('abort', onAbort, { once: true })
    cleanups.push(() => { s.removeEventListener('abort', onAbort) })
  }
  return { signal: controller.signal, clear: () => { cleanups.forEach(c => { c() }) } }
}
