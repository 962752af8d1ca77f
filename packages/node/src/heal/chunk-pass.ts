/**
 * One reconciliation pass over the chunks this node holds. For each chunk:
 * ask its owners (under the target map) whether they hold it; when some do
 * not, the first owner in placement order that holds it copies it to them
 * (or this node, when it is not an owner and no owner holds it: a hand-off
 * or a draining node); a copy held here by a non-owner is deleted once every
 * owner confirmed it holds one. Only the node that changed gains or loses
 * data: nothing shuffles between unchanged owners.
 *
 * Copies run fewest-copies-first (repair before rebalance), throttled.
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { partitionOfDigest } from '@weft/placement'
import { ownersOf, replicasWanted } from './owners.js'
import { forEachLimited } from '../for-each-limited.js'
import type { CopyKind, PassReport } from './progress.js'
import type { Throttle } from './throttle.js'
import type { ChunkStore, ListedChunk } from '../store/index.js'
import type { Placement } from '@weft/placement'
import type { ChunkClient, ChunkPolicy } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

const log = logger('weft:node:heal:chunks')

export interface ChunkPassComponents {
  self: string
  store: Pick<ChunkStore, 'list' | 'get' | 'delete'>
  client: Pick<ChunkClient, 'has' | 'put'>
  /** placement over the target map */
  placement: Placement
  throttle: Throttle
  batch: number
  maxTasks: number
  concurrency: number
  requestTimeoutMs: number
  report: PassReport
  /** pending copy tasks changed (for progress and metrics) */
  onPending(kind: CopyKind, chunks: number, bytes: number): void
  /** a copy completed: `bytes` landed on owners that lacked the chunk */
  onCopied(kind: CopyKind, bytes: number): void
  signal: AbortSignal
}

interface CopyTask {
  cid: CID
  size: number
  policies: readonly ChunkPolicy[]
  targets: string[]
  /** verified copies known before this one (the sort key) */
  copies: number
  kind: CopyKind
}

export async function chunkPass (c: ChunkPassComponents): Promise<void> {
  let tasks: CopyTask[] = []
  let batch: ListedChunk[] = []
  for await (const chunk of c.store.list({ signal: c.signal })) {
    batch.push(chunk)
    if (batch.length < c.batch) continue
    tasks.push(...await checkBatch(c, batch))
    batch = []
    if (tasks.length >= c.maxTasks) {
      await runTasks(c, tasks)
      tasks = []
    }
  }
  if (batch.length > 0) tasks.push(...await checkBatch(c, batch))
  await runTasks(c, tasks)
}

/** HAS to every owner of the batch (one request per peer); undefined where a peer did not answer */
async function askOwners (c: ChunkPassComponents, owners: string[][], batch: ListedChunk[]): Promise<Map<string, Map<string, boolean>>> {
  const perPeer = new Map<string, CID[]>()
  owners.forEach((list, i) => {
    for (const peer of list) {
      if (peer === c.self) continue
      let cids = perPeer.get(peer)
      if (cids == null) perPeer.set(peer, cids = [])
      cids.push(batch[i]!.cid)
    }
  })
  const answers = new Map<string, Map<string, boolean>>()
  await Promise.all([...perPeer].map(async ([peer, cids]) => {
    try {
      const held = await c.client.has(peerIdFromString(peer), cids, { signal: AbortSignal.any([c.signal, AbortSignal.timeout(c.requestTimeoutMs)]) })
      answers.set(peer, new Map(cids.map((cid, i) => [cid.toString(), held[i] === true])))
    } catch (err) {
      c.signal.throwIfAborted()
      log('HAS to %s failed - %e', peer, err)
    }
  }))
  return answers
}

async function checkBatch (c: ChunkPassComponents, batch: ListedChunk[]): Promise<CopyTask[]> {
  const owners = batch.map(chunk => chunk.policies.length === 0 ? [] : ownersOf(c.placement, partitionOfDigest(chunk.cid.multihash.digest), chunk.policies))
  const answers = await askOwners(c, owners, batch)
  const tasks: CopyTask[] = []
  for (let i = 0; i < batch.length; i++) {
    const chunk = batch[i]!
    const list = owners[i]!
    c.report.chunksChecked++
    // stored without a policy (a raw put): nobody knows where it belongs, so it stays where it was put
    if (chunk.policies.length === 0) continue
    // no eligible owner at all (e.g. every allowed zone is draining): keep it
    if (list.length === 0) {
      c.report.waiting++
      continue
    }
    const key = chunk.cid.toString()
    const isOwner = list.includes(c.self)
    const holding: string[] = []
    const missing: string[] = []
    let unknown = 0
    for (const peer of list) {
      if (peer === c.self) {
        holding.push(peer)
        continue
      }
      const held = answers.get(peer)?.get(key)
      if (held === true) holding.push(peer)
      else if (held === false) missing.push(peer)
      else unknown++
    }
    if (missing.length > 0) {
      // one copier per chunk: the first owner holding it, or (no owner does) every non-owner holder
      const copier = holding[0]
      if (copier === c.self || copier === undefined) {
        const copies = holding.length + (isOwner ? 0 : 1)
        const kind: CopyKind = copies < replicasWanted(chunk.policies) ? 'repair' : 'rebalance'
        tasks.push({ cid: chunk.cid, size: chunk.size, policies: chunk.policies, targets: missing, copies, kind })
      }
      if (!isOwner) c.report.waiting++
      continue
    }
    if (isOwner) continue
    // an owner not asked, or fewer eligible owners than r (a drain the mesh cannot absorb): this copy still counts
    if (unknown > 0 || list.length < replicasWanted(chunk.policies)) {
      c.report.waiting++
      continue
    }
    // every owner confirmed a verified copy: this one is surplus
    if (await c.store.delete(chunk.cid)) {
      c.report.chunksDeleted++
      c.report.deletedBytes += chunk.size
    }
  }
  return tasks
}

async function runTasks (c: ChunkPassComponents, tasks: CopyTask[]): Promise<void> {
  if (tasks.length === 0) return
  tasks.sort((a, b) => a.copies - b.copies)
  const pending = { repair: { chunks: 0, bytes: 0 }, rebalance: { chunks: 0, bytes: 0 } }
  for (const t of tasks) {
    pending[t.kind].chunks++
    pending[t.kind].bytes += t.size * t.targets.length
  }
  const publish = (): void => {
    c.onPending('repair', pending.repair.chunks, pending.repair.bytes)
    c.onPending('rebalance', pending.rebalance.chunks, pending.rebalance.bytes)
  }
  publish()
  try {
    await forEachLimited(tasks, c.concurrency, async (task) => {
      c.signal.throwIfAborted()
      try {
        await copy(c, task)
      } catch (err) {
        c.signal.throwIfAborted()
        c.report.failed++
        log('copy of %s to %s failed - %e', task.cid, task.targets.join(','), err)
      } finally {
        pending[task.kind].chunks--
        pending[task.kind].bytes -= task.size * task.targets.length
        publish()
      }
    })
  } finally {
    c.onPending('repair', 0, 0)
    c.onPending('rebalance', 0, 0)
  }
}

async function copy (c: ChunkPassComponents, task: CopyTask): Promise<void> {
  await c.throttle.take(task.size * task.targets.length, c.signal)
  const signal = AbortSignal.any([c.signal, AbortSignal.timeout(c.requestTimeoutMs)])
  // a full read is verified against the id before the last piece is released: a bad local copy is never spread
  const parts: Uint8Array[] = []
  for await (const part of c.store.get(task.cid, { signal })) parts.push(part)
  const bytes = Buffer.concat(parts)
  const [head, ...rest] = task.targets.map(p => peerIdFromString(p))
  const result = await c.client.put(head!, task.cid, bytes, { forward: rest, policies: task.policies, signal })
  for (const s of result.stored) {
    if (s.existed) continue
    c.report.chunkCopies++
    c.report.copiedBytes += task.size
    c.onCopied(task.kind, task.size)
  }
  if (result.failed.length > 0) {
    c.report.failed += result.failed.length
    log('copy of %s: %d of %d owners failed (%s)', task.cid, result.failed.length, task.targets.length, result.failed.map(f => f.code).join(','))
  }
}
