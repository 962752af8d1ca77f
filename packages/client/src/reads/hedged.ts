/**
 * Reads one chunk from the best of its replicas, with hedging and failover.
 *
 * The request goes to the first replica in order. If no byte of the answer
 * has arrived within the hedge delay (a high percentile of recent times to
 * first byte), the same request goes to the next replica too and the first
 * verified answer wins; the other is cancelled. As soon as one attempt
 * receives bytes, the attempts that have received none are cancelled: a
 * late first byte (a request queued behind read-ahead) would otherwise let
 * both replicas send the whole chunk. A replica cancelled that way stays a
 * candidate should the flowing one fail; it lost a race only if it was
 * asked first. Hedges are rationed (an allowance earned per request), so an
 * overloaded client does not double its own load. A replica that errors,
 * times out or sends bytes that fail verification is reported and the next one is
 * asked straight away. Losers and failures feed the latency statistics, so
 * a slow or broken replica drops to the back of the order for later reads.
 */
import { logger } from '@libp2p/logger'
import { CancelledError } from '@weft/protocol'
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_MAX_HEDGED_ATTEMPTS } from './constants.js'
import { AttemptTimeoutError, ChunkUnavailableError, HedgeLostError } from './errors.js'
import { fetchChunk, wireBytes } from './fetch.js'
import type { ReplicaFailure } from '@weft/protocol'
import type { ChunkRead, ChunkReader } from './fetch.js'
import type { ReplicaStats } from './stats.js'
import type { PeerId } from '@libp2p/interface'

const log = logger('weft:client:read')

/** Why an attempt that had received nothing was cancelled: another replica's answer started to flow. */
class SupersededError extends HedgeLostError {
  /** launch order of the attempt that is answering */
  readonly by: number

  constructor (message: string, by: number) {
    super(message)
    this.by = by
  }
}

/** Why a replica's answer was not used. */
export type ReplicaFaultKind = 'corrupt' | 'missing' | 'timeout' | 'error'

export interface ReplicaFault extends ReplicaFailure {
  readonly kind: ReplicaFaultKind
  /** the chunk asked for */
  readonly cid: string
}

export interface HedgedReadComponents {
  chunks: ChunkReader
  stats: ReplicaStats
  /** told about every replica whose answer could not be used */
  onFault?(fault: ReplicaFault): void
}

export interface HedgedReadInit {
  /**
   * requests for one chunk running at once (the first and its hedges); 1 turns hedging off
   *
   * @default DEFAULT_MAX_HEDGED_ATTEMPTS
   */
  maxAttempts?: number
  /**
   * one attempt fails over after this long (ms)
   *
   * @default DEFAULT_ATTEMPT_TIMEOUT_MS
   */
  attemptTimeoutMs?: number
}

export interface HedgedResult {
  /** verified bytes, in order */
  readonly parts: Uint8Array[]
  /** the replica that answered */
  readonly peer: string
  /** replicas asked, the one that answered included */
  readonly attempts: number
  /** extra requests sent because an earlier one was slow */
  readonly hedges: number
  /** true when a hedge (not the first request nor a failover) answered */
  readonly hedgeWin: boolean
}

/** How a failure reads to the caller and the stats. */
export function classify (err: unknown): { kind: ReplicaFaultKind, code: string, message: string } {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'ERR_INTERNAL'
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'ERR_HASH_MISMATCH' || code === 'ERR_CHUNK_CORRUPT') return { kind: 'corrupt', code, message }
  if (code === 'ERR_CHUNK_NOT_FOUND') return { kind: 'missing', code, message }
  if (code === 'ERR_TIMEOUT') return { kind: 'timeout', code, message }
  return { kind: 'error', code, message }
}

/**
 * Reads `read` from `candidates` (peer ids, best first). Resolves with the
 * verified bytes of the first replica to answer well; rejects with
 * `ChunkUnavailableError` when every candidate failed, or with the abort
 * reason when `signal` fires (every attempt is cancelled either way).
 */
export async function hedgedRead (c: HedgedReadComponents, init: HedgedReadInit, candidates: ReadonlyArray<{ id: string, peer: PeerId }>, read: ChunkRead, signal?: AbortSignal): Promise<HedgedResult> {
  signal?.throwIfAborted()
  const maxAttempts = Math.max(1, init.maxAttempts ?? DEFAULT_MAX_HEDGED_ATTEMPTS)
  const attemptTimeoutMs = init.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS
  const bytes = wireBytes(read)
  const cid = read.cid.toString()
  const failures: ReplicaFailure[] = []
  const controllers = new Set<AbortController>()
  /** attempts that have received no byte yet, by controller: the ones to cancel once another flows */
  const waiting = new Map<AbortController, { id: string, peer: PeerId }>()
  /** candidates whose attempt was cancelled because another flowed: asked again, after the untried ones, on a failover */
  const spare: Array<{ id: string, peer: PeerId }> = []
  let next = 0
  let launches = 0
  const remaining = (): number => spare.length + candidates.length - next
  let hedges = 0
  let running = 0
  /** attempts that are receiving bytes: while one is, there is nothing to hedge */
  let flowing = 0
  let settled = false
  let hedgeTimer: ReturnType<typeof setTimeout> | undefined
  c.stats.requested()

  return new Promise<HedgedResult>((resolve, reject) => {
    const finish = (reason: Error = new HedgeLostError('another replica answered first')): void => {
      settled = true
      clearTimeout(hedgeTimer)
      signal?.removeEventListener('abort', onAbort)
      for (const ac of controllers) ac.abort(reason)
      controllers.clear()
    }
    const onAbort = (): void => {
      if (settled) return
      const raw: unknown = signal?.reason ?? new CancelledError('read aborted')
      const reason = raw instanceof Error ? raw : new CancelledError(String(raw))
      finish(reason)
      reject(reason)
    }
    const armHedge = (): void => {
      clearTimeout(hedgeTimer)
      hedgeTimer = undefined
      if (settled || flowing > 0 || remaining() === 0 || running >= maxAttempts) return
      const delay = c.stats.hedgeDelay()
      hedgeTimer = setTimeout(() => {
        hedgeTimer = undefined
        if (settled || flowing > 0 || !c.stats.takeHedge()) return
        log('hedging %s: no first byte within %d ms', cid, delay)
        hedges++
        launch(true)
        armHedge()
      }, delay)
    }
    const launch = (hedge: boolean): void => {
      const candidate = next < candidates.length ? candidates[next++] : spare.shift()
      if (candidate === undefined) return
      const order = launches++
      const { id, peer } = candidate
      running++
      const ac = new AbortController()
      controllers.add(ac)
      waiting.set(ac, candidate)
      const timeout = setTimeout(() => { ac.abort(new AttemptTimeoutError(`no full answer from ${id} within ${attemptTimeoutMs} ms`)) }, attemptTimeoutMs)
      const end = c.stats.begin(id)
      const started = performance.now()
      let firstByte = false
      fetchChunk(c.chunks, peer, read, {
        signal: ac.signal,
        onFirstByte: () => {
          firstByte = true
          flowing++
          waiting.delete(ac)
          c.stats.latency(id, performance.now() - started)
          clearTimeout(hedgeTimer)
          for (const [other, who] of waiting) {
            waiting.delete(other)
            spare.push(who)
            other.abort(new SupersededError(`${id} is answering`, order))
          }
        }
      }).then(parts => {
        if (settled) return
        c.stats.completed(id, bytes)
        finish()
        resolve({ parts, peer: id, attempts: next, hedges, hedgeWin: hedge })
      }, (err: unknown) => {
        running--
        waiting.delete(ac)
        if (firstByte) flowing--
        // cancelled before its first byte because another attempt is answering: it had waited at
        // least this long, and if it was asked before the one answering, it lost the race
        const superseded: unknown = ac.signal.reason
        if (superseded instanceof SupersededError && !firstByte) {
          c.stats.latency(id, performance.now() - started, true)
          if (order < superseded.by) c.stats.lostRace(id)
          return
        }
        // cancelled because another replica won (its own error, not a failure that raced with the cancel)
        if (settled && ac.signal.reason instanceof HedgeLostError && (err === ac.signal.reason || err instanceof HedgeLostError)) {
          // lost the race (before its first byte, it had waited at least this long)
          if (!firstByte) {
            c.stats.latency(id, performance.now() - started, true)
            if (hedges > 0) c.stats.lostRace(id)
          }
          return
        }
        // the caller gave up: nothing to learn from how the attempts ended
        if (settled && signal?.aborted === true) return
        // a failure is reported even when another replica has answered meanwhile: a corrupt copy is news either way
        const fault = { ...classify(err), peer: id, cid }
        if (fault.kind !== 'missing') {
          c.stats.failed(id)
          if (!firstByte) c.stats.latency(id, performance.now() - started, true)
        }
        log('%s from %s failed (%s) - %s', cid, id, fault.code, fault.message)
        c.onFault?.(fault)
        if (settled) return
        failures.push(fault)
        if (remaining() > 0) {
          launch(false)
          armHedge()
        } else if (running === 0) {
          finish()
          reject(new ChunkUnavailableError(cid, failures))
        } else {
          armHedge()
        }
      }).finally(() => {
        clearTimeout(timeout)
        controllers.delete(ac)
        end()
      })
    }
    if (candidates.length === 0) {
      reject(new ChunkUnavailableError(cid, []))
      return
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    launch(false)
    armHedge()
  })
}
