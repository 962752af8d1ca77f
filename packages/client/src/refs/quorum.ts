/**
 * Quorum rounds over a ref's replicas: every replica is asked in parallel;
 * a replica that fails is replaced by the next fallback (hand-off), so a
 * majority can still be reached while a node is down but not yet known to
 * be. The round resolves as soon as a majority succeeded; the rest keeps
 * running, and `done` settles once every request did (for read repair and
 * for callers that wait for background work).
 */
import { wireCodeOf } from '@weft/protocol'
import { QuorumError } from './errors.js'
import type { ReplicaFailure } from './errors.js'

/** floor(r / 2) + 1 */
export function majority (replicas: number): number {
  return Math.floor(replicas / 2) + 1
}

export interface QuorumAnswer<T> {
  readonly peer: string
  readonly value: T
  /** true when `peer` is a fallback standing in for a failed replica */
  readonly handedOff: boolean
}

export interface QuorumRound<T> {
  /** the answers that made the majority (more may arrive later: see `done`) */
  readonly answers: ReadonlyArray<QuorumAnswer<T>>
  readonly failures: readonly ReplicaFailure[]
  /** every answer and failure, once every request (hand-offs included) has ended */
  readonly done: Promise<{ answers: ReadonlyArray<QuorumAnswer<T>>, failures: readonly ReplicaFailure[] }>
}

export interface QuorumInit<T> {
  /** peer ids of the replica set, best first */
  replicas: readonly string[]
  /** peer ids to hand off to, in order */
  fallbacks: readonly string[]
  /** answers needed */
  need: number
  /** what is asked of one peer */
  ask: (peer: string) => Promise<T>
  /** for the error message: 'write' or 'read' of what */
  what: string
  /**
   * Whether an answer may complete the majority early. A read passes one
   * that discounts "absent" from a stand-in: a fallback that never saw the
   * write must not outvote a slow home replica that did. Answers that are
   * not decisive still count once every request has ended.
   *
   * @default every answer is decisive
   */
  decisive?: (answer: QuorumAnswer<T>) => boolean
}

export async function quorum<T> (init: QuorumInit<T>): Promise<QuorumRound<T>> {
  const answers: Array<QuorumAnswer<T>> = []
  const failures: ReplicaFailure[] = []
  let inFlight = 0
  let nextFallback = 0
  let resolveDone!: (v: { answers: ReadonlyArray<QuorumAnswer<T>>, failures: readonly ReplicaFailure[] }) => void
  const done = new Promise<{ answers: ReadonlyArray<QuorumAnswer<T>>, failures: readonly ReplicaFailure[] }>(resolve => { resolveDone = resolve })
  return new Promise<QuorumRound<T>>((resolve, reject) => {
    let settled = false
    let decisive = 0
    const check = (): void => {
      if (!settled && (decisive >= init.need || (inFlight === 0 && answers.length >= init.need))) {
        settled = true
        resolve({ answers: [...answers], failures: [...failures], done })
      }
      if (inFlight > 0) return
      if (!settled) {
        settled = true
        const detail = failures.map(f => `${f.peer.slice(-8)}: ${f.code}`).join(', ')
        reject(new QuorumError(`${init.what}: ${answers.length} of the ${init.need} replicas needed answered (${detail})`, {
          needed: init.need,
          answered: answers.length,
          failures: [...failures]
        }))
      }
      resolveDone({ answers, failures })
    }
    const start = (peer: string, handedOff: boolean): void => {
      inFlight++
      init.ask(peer)
        .then(value => {
          const answer = { peer, value, handedOff }
          answers.push(answer)
          if (init.decisive?.(answer) ?? true) decisive++
        }, (err: unknown) => {
          failures.push({ peer, code: wireCodeOf(err), message: err instanceof Error ? err.message : String(err) })
          const next = init.fallbacks[nextFallback++]
          if (next !== undefined) start(next, true)
        })
        .finally(() => {
          inFlight--
          check()
        })
    }
    for (const peer of init.replicas) start(peer, false)
    // replicas known to be down were left out by the caller: stand-ins start at once
    for (let missing = init.need - init.replicas.length; missing > 0; missing--) {
      const next = init.fallbacks[nextFallback++]
      if (next === undefined) break
      start(next, true)
    }
    check()
  })
}
