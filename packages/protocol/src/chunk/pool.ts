import { PeerUnreachableError, SessionClosedError } from './errors.js'
import type { ClientSession } from './client-session.js'
import type { AbortOptions } from '@libp2p/interface'

export interface PoolInit {
  open(options: AbortOptions): Promise<ClientSession>
  maxSessions: number
  maxRequestsPerSession: number
  idleTimeout: number
}

interface Entry {
  session: ClientSession
  active: number
  idleSince: number
}

/**
 * A few long-lived sessions to one peer. A request takes a slot on the
 * least-loaded session; a second session is opened only when the first is
 * busy, and beyond the last slot callers wait. Broken sessions leave the
 * pool when they end; the next request opens a fresh one.
 */
export class SessionPool {
  private readonly entries: Entry[] = []
  private opening = 0
  private waiters: Array<() => void> = []
  private closed = false

  constructor (private readonly init: PoolInit) {}

  get size (): number {
    return this.entries.length
  }

  /** true when nothing is open, being opened or waited for: the pool may be dropped */
  get idle (): boolean {
    return this.entries.length === 0 && this.opening === 0 && this.waiters.length === 0
  }

  /** Take a request slot; call `release` exactly once when the request is over. */
  async acquire (options: AbortOptions = {}): Promise<{ session: ClientSession, release: () => void }> {
    for (;;) {
      options.signal?.throwIfAborted()
      if (this.closed) {
        throw new SessionClosedError('chunk client is closed')
      }
      let best: Entry | undefined
      for (const e of this.entries) {
        if (e.session.isUsable && (best == null || e.active < best.active)) {
          best = e
        }
      }
      const room = this.entries.length + this.opening < this.init.maxSessions
      if (best != null && (best.active === 0 || (!room && best.active < this.init.maxRequestsPerSession))) {
        return this.take(best)
      }
      if (room) {
        return this.take(await this.add(options))
      }
      await this.waitForSlot(options)
    }
  }

  /** Close sessions that have carried nothing for `idleTimeout`. */
  sweep (now: number): void {
    for (const e of [...this.entries]) {
      if (e.active === 0 && now - e.idleSince > this.init.idleTimeout) {
        this.remove(e)
        e.session.close()
      }
    }
  }

  async close (): Promise<void> {
    this.closed = true
    this.wakeAll()
    const sessions = this.entries.map(e => e.session)
    this.entries.length = 0
    await Promise.all(sessions.map(async s => {
      s.close()
      await s.closed
    }))
  }

  private take (e: Entry): { session: ClientSession, release: () => void } {
    e.active++
    let released = false
    return {
      session: e.session,
      release: () => {
        if (released) {
          return
        }
        released = true
        e.active--
        e.idleSince = Date.now()
        this.wakeOne()
      }
    }
  }

  private async add (options: AbortOptions): Promise<Entry> {
    this.opening++
    let session: ClientSession
    try {
      session = await this.init.open(options)
    } catch (err) {
      options.signal?.throwIfAborted()
      throw new PeerUnreachableError(`could not open a chunk stream: ${(err as Error).message}`, undefined, { cause: err })
    } finally {
      this.opening--
      this.wakeOne()
    }
    const entry: Entry = { session, active: 0, idleSince: Date.now() }
    if (this.closed) {
      session.close()
      throw new SessionClosedError('chunk client is closed')
    }
    this.entries.push(entry)
    void session.closed.then(() => {
      this.remove(entry)
      this.wakeAll()
    })
    return entry
  }

  private remove (e: Entry): void {
    const i = this.entries.indexOf(e)
    if (i >= 0) {
      this.entries.splice(i, 1)
    }
  }

  private async waitForSlot (options: AbortOptions): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const signal = options.signal
      const onAbort = (): void => {
        this.waiters = this.waiters.filter(w => w !== wake)
        reject(signal?.reason as Error)
      }
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(wake)
    })
  }

  private wakeOne (): void {
    this.waiters.shift()?.()
  }

  private wakeAll (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) {
      w()
    }
  }
}
