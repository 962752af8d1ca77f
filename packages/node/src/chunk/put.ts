import { InvalidForwardError, wireCodeOf } from '@weft/protocol'
import { DEFAULT_TEE_BUFFER_BYTES } from './constants.js'
import { Tee } from './tee.js'
import type { ChunkStoreView } from './handler.js'
import type { ChunkClient, ChunkRequestContext, PutFailed, PutRequest, PutResult, PutStored } from '@weft/protocol'
import type { PeerId } from '@libp2p/interface'

export interface ChainPutComponents {
  self: PeerId
  store: Pick<ChunkStoreView, 'put' | 'has' | 'addPolicies'>
  /** Passes the chunk to the next replica of the chain */
  client: Pick<ChunkClient, 'put'>
  teeBufferBytes?: number
}

/**
 * Store a chunk here and pass it down the chain at the same time.
 *
 * The body is read once and teed to the local store and to the next replica
 * (which gets the rest of the forward list); the slower branch sets the pace.
 * The answer waits for both: our own verified, fsynced put and the next
 * replica's answer, which already covers everyone after it. Every replica of
 * the chain ends up in exactly one of `stored` or `failed`.
 *
 * A chunk already held here is not written again: with no one to forward to
 * we answer at once (the session drops the rest of the body; a writer that
 * wants to skip sending asks HAS first), otherwise only the forward branch
 * reads the body.
 *
 * If the body itself fails (upstream gone, cancelled, wrong size, too slow)
 * this throws, and the request is answered with an ERROR instead.
 */
export async function chainPut (c: ChainPutComponents, req: PutRequest, body: AsyncIterable<Uint8Array>, ctx: ChunkRequestContext): Promise<PutResult> {
  checkForward(c.self, req)
  const { cid, size, forward } = req
  const policies = req.policies ?? []
  const [existed] = await c.store.has([cid])
  // a copy already held here learns the policies of this write too (a chunk shared across buckets)
  if (existed === true && policies.length > 0) await c.store.addPolicies?.(cid, policies)
  const [next, ...rest] = forward
  if (existed === true && next == null) {
    return { stored: [{ peer: c.self, existed: true }], failed: [] }
  }

  // tell body failures (the upstream's fault: answered with an ERROR) from branch failures
  let bodyError: unknown
  const watched = (async function * () {
    try {
      yield * body
    } catch (err) {
      bodyError = err
      throw err
    }
  })()

  const localBranch = existed === true ? -1 : 0
  const downBranch = next == null ? -1 : localBranch + 1
  const tee = new Tee(watched, downBranch >= 0 ? downBranch + 1 : 1, c.teeBufferBytes ?? DEFAULT_TEE_BUFFER_BYTES)
  const local = localBranch < 0
    ? undefined
    : settleBranch(tee, localBranch, c.store.put(cid, tee.branch(localBranch), { size, policies, signal: ctx.signal }))
  const down = next == null
    ? undefined
    : settleBranch(tee, downBranch, c.client.put(next.peer, cid, tee.branch(downBranch), { size, forward: rest, policies, signal: ctx.signal }))

  const [localResult, downResult] = await Promise.allSettled([local, down])
  if (bodyError != null) {
    throw bodyError as Error
  }
  ctx.signal.throwIfAborted()

  const stored: PutStored[] = []
  const failed: PutFailed[] = []
  if (existed === true) {
    stored.push({ peer: c.self, existed: true })
  } else if (localResult.status === 'fulfilled' && localResult.value != null) {
    stored.push({ peer: c.self, existed: localResult.value.existed })
  } else {
    const err: unknown = localResult.status === 'rejected' ? localResult.reason : undefined
    const code = wireCodeOf(err)
    failed.push({ peer: c.self, code, message: (err as Error | undefined)?.message ?? code })
  }
  if (next != null) {
    if (downResult.status === 'fulfilled' && downResult.value != null) {
      stored.push(...downResult.value.stored)
      failed.push(...downResult.value.failed)
    } else {
      // ChunkClient.put reports replica failures in its result; a rejection is unexpected
      const err: unknown = downResult.status === 'rejected' ? downResult.reason : undefined
      for (const target of forward) {
        failed.push({ peer: target.peer, code: wireCodeOf(err), message: (err as Error | undefined)?.message ?? 'forwarding failed' })
      }
    }
  }
  return { stored, failed }
}

/** When a branch's reader is done, stop feeding it so the other branch is not held back. */
async function settleBranch<T> (tee: Tee, i: number, p: Promise<T>): Promise<T> {
  try {
    return await p
  } finally {
    tee.drop(i)
  }
}

function checkForward (self: PeerId, req: PutRequest): void {
  const seen = new Set<string>([self.toString()])
  for (const target of req.forward) {
    const key = target.peer.toString()
    if (seen.has(key)) {
      throw new InvalidForwardError(`forward list names ${key === self.toString() ? 'the receiver' : key} twice`)
    }
    seen.add(key)
  }
}
