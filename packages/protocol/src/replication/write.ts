/**
 * The writer side of a replicated chunk write: one pipelined chain put to
 * the replica set, then hand-off to fallbacks until r replicas hold a
 * verified, fsynced copy, or a typed error. Used by the node and, later, the
 * embeddable client (it needs only a ChunkClient).
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { ChainBrokenError, wireCodeOf } from '../chunk/errors.js'
import { DEFAULT_PROBE_MIN_BYTES, MAX_CHAIN_LENGTH } from './constants.js'
import { InsufficientReplicasError } from './errors.js'
import type { ReplicaFailure } from './errors.js'
import type { ChunkClient } from '../chunk/client.js'
import type { PutResult } from '../chunk/messages.js'
import type { ChunkPolicy } from '../chunk/policy.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

const log = logger('weft:replication')

export interface WriteChunkOptions extends AbortOptions {
  /** sends the puts (the node's `chunks.client`, or a client's own) */
  client: Pick<ChunkClient, 'put' | 'has'>
  /** the chain for the first attempt, best first (the replica set; see planChunkWrite) */
  targets: readonly string[]
  /** hand-off candidates, in order, tried when targets fail */
  fallbacks?: readonly string[]
  /** verified copies required (r) */
  replicas: number
  cid: CID
  /** the whole chunk: kept to re-send it on hand-off */
  bytes: Uint8Array
  /**
   * the placement policies the chunk is written under, kept by every replica
   * (the reconciler moves the chunk by them later)
   */
  policies?: readonly ChunkPolicy[]
  /**
   * Ask the targets whether they hold the chunk (one HAS each, in parallel)
   * and send bytes only to those that do not. Costs a round trip on every
   * write; pays off when chunks are already stored (re-uploads, dedup).
   * Without it a re-write is still correct and writes no file twice: each
   * replica that holds the chunk answers or forwards without storing, but
   * much of the body may already be on the wire. 'auto' probes chunks of at
   * least `probeMinBytes`.
   *
   * @default 'auto'
   */
  probe?: boolean | 'auto'
  /**
   * @default DEFAULT_PROBE_MIN_BYTES
   */
  probeMinBytes?: number
  /**
   * Longest chain one attempt sends through.
   *
   * @default MAX_CHAIN_LENGTH
   */
  maxChainLength?: number
  /** told about every put sent, with its outcome (progress, tests, metrics) */
  onAttempt?(attempt: WriteAttempt): void
}

export interface WriteAttempt {
  /** the chain: chain[0] received the bytes, the rest were its forward list */
  chain: string[]
  result: { stored: string[], failed: ReplicaFailure[] }
}

export interface WriteChunkResult {
  /** exactly `replicas` peers holding a verified copy, in the order they were confirmed */
  holders: string[]
  /** holders that already had the chunk (nothing was written there) */
  existed: string[]
  /** holders outside the targets: hand-off copies that repair moves home later */
  handedOff: string[]
  /** peers that failed along the way, with their error codes */
  failures: ReplicaFailure[]
  /** puts sent */
  attempts: number
}

/**
 * Write one chunk to `replicas` peers. The bytes go once to `targets[0]`,
 * which stores them and passes them down the rest of the chain while
 * receiving. Every peer of the chain comes back stored or failed; while
 * fewer than r hold a copy, the next untried candidates (targets not yet
 * reached, then fallbacks) get one more chain put of the missing count.
 * Peers that failed themselves are not tried again; peers reported only
 * because the chain broke before them (ERR_CHAIN_BROKEN) stay candidates.
 *
 * Resolves only when r distinct peers confirmed a verified, fsynced copy.
 * Otherwise it throws InsufficientReplicasError (with the holders and every
 * failure), also up front when there are fewer than r candidates. Aborting
 * the signal rejects with the abort reason.
 */
export async function writeChunk (options: WriteChunkOptions): Promise<WriteChunkResult> {
  const { client, cid, bytes, replicas, signal } = options
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new TypeError(`replicas must be an integer >= 1, got ${String(replicas)}`)
  }
  const maxChain = Math.max(1, options.maxChainLength ?? MAX_CHAIN_LENGTH)
  const targets = unique(options.targets)
  const candidates = unique([...targets, ...(options.fallbacks ?? [])])
  const targetSet = new Set(targets)
  const holders: string[] = []
  const existed: string[] = []
  const held = new Set<string>()
  /** peers with a final outcome for this write (stored or failed themselves) */
  const done = new Set<string>()
  /** latest failure per peer */
  const failures = new Map<string, ReplicaFailure>()
  let attempts = 0

  const fail = (message: string): InsufficientReplicasError => {
    const list = [...failures.values()]
    const why = list.length > 0 ? list.map(f => `${short(f.peer)} ${f.code}`).join(', ') : 'no failures reported'
    return new InsufficientReplicasError(
      `stored ${holders.length} of ${replicas} replicas of ${cid.toString()}: ${message} (${why})`,
      { holders: [...holders], failures: list, replicas })
  }
  const addHolder = (peer: string, had: boolean): void => {
    if (held.has(peer)) return
    held.add(peer)
    holders.push(peer)
    if (had) existed.push(peer)
    failures.delete(peer)
  }

  if (candidates.length < replicas) {
    throw fail(`only ${candidates.length} candidate${candidates.length === 1 ? '' : 's'} for ${replicas} replicas`)
  }
  const peerIds = new Map<string, PeerId>()
  const toPeerId = (id: string): PeerId => {
    let p = peerIds.get(id)
    if (p == null) {
      p = peerIdFromString(id)
      peerIds.set(id, p)
    }
    return p
  }
  // bad ids are the caller's mistake: refuse before sending anything
  for (const id of candidates) toPeerId(id)

  const probing = options.probe === true || ((options.probe ?? 'auto') === 'auto' && bytes.byteLength >= (options.probeMinBytes ?? DEFAULT_PROBE_MIN_BYTES))
  if (probing) {
    await probe(options.client, targets.slice(0, replicas), cid, toPeerId, signal, addHolder, (peer, code, message) => {
      failures.set(peer, { peer, code, message })
      done.add(peer)
    })
    for (const peer of holders) done.add(peer)
  }

  while (holders.length < replicas) {
    signal?.throwIfAborted()
    const need = replicas - holders.length
    const chain = candidates.filter(p => !done.has(p)).slice(0, Math.min(need, maxChain))
    if (chain.length === 0) {
      throw fail('no candidates left')
    }
    const [head, ...rest] = chain as [string, ...string[]]
    attempts++
    const result = await client.put(toPeerId(head), cid, bytes, { forward: rest.map(toPeerId), signal, ...(options.policies != null ? { policies: options.policies } : {}) })
    const outcome = settle(chain, result)
    for (const s of outcome.stored) {
      addHolder(s.peer, s.existed)
      done.add(s.peer)
    }
    for (const f of outcome.failed) {
      if (held.has(f.peer)) continue
      failures.set(f.peer, f)
      // a replica behind a broken link did nothing wrong: it stays a candidate
      if (f.code !== ChainBrokenError.code) done.add(f.peer)
    }
    // the head always gets a final outcome, so every round makes progress
    done.add(head)
    options.onAttempt?.({ chain, result: { stored: outcome.stored.map(s => s.peer), failed: outcome.failed } })
    if (outcome.failed.length > 0) {
      log('put of %c via %s: %d stored, failed: %s', cid, short(head), outcome.stored.length, outcome.failed.map(f => `${short(f.peer)} ${f.code}`).join(', '))
    }
  }

  return {
    holders: holders.slice(0, replicas),
    existed,
    handedOff: holders.filter(p => !targetSet.has(p)),
    failures: [...failures.values()],
    attempts
  }
}

/** What a put result says about the chain we sent, ignoring claims about anyone else. */
function settle (chain: string[], result: PutResult): { stored: Array<{ peer: string, existed: boolean }>, failed: ReplicaFailure[] } {
  const inChain = new Set(chain)
  const stored: Array<{ peer: string, existed: boolean }> = []
  const failed: ReplicaFailure[] = []
  const seen = new Set<string>()
  for (const s of result.stored) {
    const peer = s.peer.toString()
    if (!inChain.has(peer) || seen.has(peer)) continue
    seen.add(peer)
    stored.push({ peer, existed: s.existed })
  }
  for (const f of result.failed) {
    const peer = f.peer.toString()
    if (!inChain.has(peer) || seen.has(peer)) continue
    seen.add(peer)
    failed.push({ peer, code: f.code, message: f.message })
  }
  // a peer the answer does not mention has no copy anyone vouches for
  for (const peer of chain) {
    if (!seen.has(peer)) failed.push({ peer, code: ChainBrokenError.code, message: 'not mentioned in the put result' })
  }
  return { stored, failed }
}

async function probe (
  client: Pick<ChunkClient, 'has'>, peers: string[], cid: CID, toPeerId: (id: string) => PeerId, signal: AbortSignal | undefined,
  holds: (peer: string, had: boolean) => void, failed: (peer: string, code: string, message: string) => void
): Promise<void> {
  const answers = await Promise.allSettled(peers.map(async p => client.has(toPeerId(p), [cid], { signal })))
  signal?.throwIfAborted()
  answers.forEach((a, i) => {
    const peer = peers[i] as string
    if (a.status === 'fulfilled') {
      if (a.value[0] === true) holds(peer, true)
    } else {
      failed(peer, wireCodeOf(a.reason), a.reason instanceof Error ? a.reason.message : 'has failed')
    }
  })
}

function unique (peers: readonly string[]): string[] {
  return [...new Set(peers)]
}

function short (peer: string): string {
  return peer.length > 12 ? `…${peer.slice(-8)}` : peer
}
