/**
 * The sweep half of garbage collection, on one node: the chunks it holds
 * that were stored and last touched before `now - grace` are candidates;
 * each batch of them is asked about to every member that is not out (this
 * node included), and a candidate none of them references is deleted,
 * under the store's per-chunk lock and only if still untouched.
 *
 * Safety over space: a member that is down or has left cannot say what its
 * refs reach, so nothing is deleted while one exists; a member that fails to
 * answer, or answers `complete: false`, or a change in membership, ends the
 * sweep before its batch is deleted.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { wireCodeOf } from '@weft/protocol'
import { forEachLimited } from '../for-each-limited.js'
import { GC_QUERY_CONCURRENCY } from './constants.js'
import type { GcSkip } from './types.js'
import type { Member } from '../membership/types.js'
import type { ChunkStore } from '../store/index.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { RefReferencedAnswer } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

export interface SweepComponents {
  self: string
  store: Pick<ChunkStore, 'list' | 'touchedAt' | 'deleteUntouched'>
  members(): Member[]
  /** asks a member (never this node) which of `cids` its live refs reach */
  ask(peer: PeerId, cids: CID[], options: AbortOptions): Promise<RefReferencedAnswer>
  /** this node's own answer */
  local(cids: CID[], options: AbortOptions): Promise<RefReferencedAnswer>
}

export interface SweepInit {
  graceMs: number
  batch: number
  batchDelayMs: number
}

export interface SweepResult {
  candidates: number
  deleted: number
  bytesFreed: number
  members: number
  skipped?: GcSkip
}

/** The members that must answer (every one not out, but this node) and those of them that cannot. */
export function quorumOf (self: string, members: Member[]): { peers: string[], unreachable: string[] } {
  const peers: string[] = []
  const unreachable: string[] = []
  for (const m of members) {
    if (m.self || m.peerId === self || m.liveness === 'out') continue
    peers.push(m.peerId)
    if (m.liveness === 'down' || m.liveness === 'left') unreachable.push(`${m.peerId} (${m.liveness})`)
  }
  return { peers: peers.sort(), unreachable }
}

export async function sweep (c: SweepComponents, init: SweepInit, startedAt: number, options: AbortOptions = {}): Promise<SweepResult> {
  const cutoff = startedAt - init.graceMs
  const first = quorumOf(c.self, c.members())
  const result: SweepResult = { candidates: 0, deleted: 0, bytesFreed: 0, members: first.peers.length }
  const expected = first.peers.join(',')
  const peerIds = new Map(first.peers.map(p => [p, peerIdFromString(p)]))

  const runBatch = async (cids: CID[]): Promise<GcSkip | undefined> => {
    const now = quorumOf(c.self, c.members())
    if (now.unreachable.length > 0) return { reason: 'member-unreachable', detail: `not answering: ${now.unreachable.join(', ')}` }
    if (now.peers.join(',') !== expected) return { reason: 'membership-changed', detail: `${first.peers.length} members at the start, ${now.peers.length} now` }
    const askers: Array<{ name: string, ask: () => Promise<RefReferencedAnswer> }> = [
      { name: 'this node', ask: async () => c.local(cids, options) },
      ...first.peers.map(p => ({ name: p, ask: async () => c.ask(peerIds.get(p) as PeerId, cids, options) }))
    ]
    const referenced = new Array<boolean>(cids.length).fill(false)
    let skip: GcSkip | undefined
    await forEachLimited(askers, GC_QUERY_CONCURRENCY, async ({ name, ask }) => {
      if (skip !== undefined) return
      let answer: RefReferencedAnswer
      try {
        answer = await ask()
      } catch (err) {
        options.signal?.throwIfAborted()
        skip ??= { reason: 'member-failed', detail: `${name}: ${wireCodeOf(err)} ${(err as Error).message}` }
        return
      }
      if (!answer.complete) {
        skip ??= { reason: 'incomplete', detail: `${name} could not resolve every manifest its refs point to` }
        return
      }
      answer.referenced.forEach((yes, i) => { if (yes) referenced[i] = true })
    })
    if (skip !== undefined) return skip
    for (let i = 0; i < cids.length; i++) {
      if (referenced[i] === true) continue
      options.signal?.throwIfAborted()
      // conditional: a chunk touched since the sweep chose it (a writer about to reuse it) stays
      const freed = await c.store.deleteUntouched(cids[i] as CID, cutoff)
      if (freed > 0) {
        result.deleted++
        result.bytesFreed += freed
      }
    }
    return undefined
  }

  if (first.unreachable.length > 0) {
    result.skipped = { reason: 'member-unreachable', detail: `not answering: ${first.unreachable.join(', ')}` }
    return result
  }
  let batch: CID[] = []
  for await (const chunk of c.store.list({ signal: options.signal })) {
    if (Math.max(chunk.storedAt, c.store.touchedAt(chunk.cid)) >= cutoff) continue
    result.candidates++
    batch.push(chunk.cid)
    if (batch.length < init.batch) continue
    result.skipped = await runBatch(batch)
    batch = []
    if (result.skipped !== undefined) return result
    // low priority: let client traffic through between batches
    await new Promise(resolve => setTimeout(resolve, init.batchDelayMs))
  }
  if (batch.length > 0) result.skipped = await runBatch(batch)
  return result
}
