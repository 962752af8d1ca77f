/**
 * Answers REFERENCED queries (from members' sweeps and this node's own).
 * Every answer comes from a scan that started after the query arrived, so
 * a ref written before the question is always seen. Queries that arrive
 * while a scan runs wait for the next one and share it: one scan answers
 * them all, and ends early once every id asked about has been reached.
 */
import { BusyError } from '@weft/protocol'
import { DIGEST_BYTES, cidKey, digestKey } from './digests.js'
import type { ReferenceScanner } from './scanner.js'
import type { AbortOptions } from '@libp2p/interface'
import type { RefReferencedAnswer } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

interface Query {
  readonly keys: string[]
  resolve(answer: RefReferencedAnswer): void
  reject(err: Error): void
}

export class ReferencedAnswerer {
  private readonly scanner: Pick<ReferenceScanner, 'scan'>
  private readonly maxPending: number
  private readonly signal: AbortSignal
  private pending: Query[] = []
  private running = false

  /** `signal` ends scans when the collector stops. */
  constructor (scanner: Pick<ReferenceScanner, 'scan'>, maxPending: number, signal: AbortSignal) {
    this.scanner = scanner
    this.maxPending = maxPending
    this.signal = signal
  }

  async referenced (cids: readonly CID[], options: AbortOptions = {}): Promise<RefReferencedAnswer> {
    options.signal?.throwIfAborted()
    this.signal.throwIfAborted()
    if (this.pending.length >= this.maxPending) throw new BusyError(`${this.pending.length} REFERENCED queries are already waiting`)
    const answer = new Promise<RefReferencedAnswer>((resolve, reject) => {
      this.pending.push({ keys: cids.map(cidKey), resolve, reject })
    })
    if (!this.running) void this.pump()
    if (options.signal == null) return answer
    // the caller may stop waiting; the scan goes on for the others
    const signal = options.signal
    let onAbort: (() => void) | undefined
    try {
      return await Promise.race([answer, new Promise<never>((_resolve, reject) => {
        onAbort = () => { reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')) }
        signal.addEventListener('abort', onAbort, { once: true })
      })])
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
    }
  }

  private async pump (): Promise<void> {
    this.running = true
    try {
      while (this.pending.length > 0) {
        const queries = this.pending
        this.pending = []
        await this.answer(queries)
      }
    } finally {
      this.running = false
    }
  }

  private async answer (queries: Query[]): Promise<void> {
    const wanted = new Set<string>()
    for (const q of queries) for (const k of q.keys) wanted.add(k)
    const found = new Set<string>()
    try {
      const result = await this.scanner.scan({
        reached: (digests) => {
          for (let at = 0; at < digests.byteLength; at += DIGEST_BYTES) {
            const key = digestKey(digests, at)
            if (wanted.has(key)) found.add(key)
          }
          return found.size === wanted.size
        }
      }, { signal: this.signal })
      for (const q of queries) {
        const referenced = q.keys.map(k => found.has(k))
        // an incomplete scan still answers completely for a query whose ids were all reached
        q.resolve({ referenced, complete: result.complete || referenced.every(Boolean) })
      }
    } catch (err) {
      for (const q of queries) q.reject(err as Error)
    }
  }
}
