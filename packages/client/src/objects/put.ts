/**
 * put: stream an object into the mesh in bounded memory.
 *
 * The source is cut into chunks of the bucket's chunk size; each chunk is
 * hashed (its id and per-block hashes for verified range reads), placed by
 * its id, and written down a chain of r replicas, with a few writes in
 * flight at once. The manifest (a tree of chunk lists, written as chunks
 * too) is written beside the last chunk writes; the ref goes last, once
 * every chunk and manifest node is acknowledged. Until the ref is written
 * nothing is visible: a put that fails or is aborted leaves only orphan
 * chunks, which garbage collection removes.
 */
import { setMaxListeners } from 'node:events'
import { logger } from '@libp2p/logger'
import { partitionOfDigest } from '@weft/placement'
import { ManifestBuilder, chunkCidSync, chunkEntry, normaliseChunkPolicy, planChunkWrite, validateBucketName, validateKey } from '@weft/protocol'
import { bytesFrom } from '../stream-helpers.js'
import { chunker } from './chunker.js'
import { writeWithRetry } from './retry.js'
import { DEFAULT_PUT_CONCURRENCY, MAX_PUT_CONCURRENCY } from './constants.js'
import type { ObjectComponents, PutOptions, PutResult } from './types.js'
import type { ByteSource } from '../stream-helpers.js'
import type { BucketPolicy, RefRecord, WriteChunkResult } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

const log = logger('weft:client:put')

export async function putObject (c: ObjectComponents, bucket: string, key: string, source: ByteSource, options: PutOptions = {}): Promise<PutResult> {
  validateBucketName(bucket)
  validateKey(key)
  const { signal } = options
  signal?.throwIfAborted()
  const concurrency = options.concurrency ?? DEFAULT_PUT_CONCURRENCY
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_PUT_CONCURRENCY) {
    throw new RangeError(`concurrency must be an integer from 1 to ${MAX_PUT_CONCURRENCY}`)
  }
  const policy = await c.policyOf(bucket, { signal })
  // one controller for every write of this put: a failure or the caller's abort stops them all
  const ac = new AbortController()
  setMaxListeners(Infinity, ac.signal)
  const onAbort = (): void => { ac.abort(signal?.reason) }
  signal?.addEventListener('abort', onAbort, { once: true })

  const version = c.clock.now()
  const store = async (bytes: Uint8Array, cid: CID): Promise<WriteChunkResult> =>
    writeWithRetry(async o => c.writeChunk(o), { client: c.chunks, ...plan(c, policy, cid), replicas: policy.replicas, policies: [normaliseChunkPolicy(policy)], cid, bytes, signal: ac.signal })
  const builder = new ManifestBuilder({
    writeChunk: async (bytes) => {
      const cid = chunkCidSync(bytes)
      await store(bytes, cid)
      return cid
    },
    version,
    contentType: options.contentType,
    metadata: options.metadata,
    maxNodeBytes: c.manifestNodeBytes
  })
  const inflight = new Set<Promise<void>>()
  let failure: { error: unknown } | undefined
  let storedBytes = 0
  let storedChunks = 0

  try {
    for await (const chunk of chunker(bytesFrom(source), policy.chunkSize)) {
      if (failure !== undefined) break
      ac.signal.throwIfAborted()
      const entry = chunkEntry(chunk, builder.blockSize)
      // placement errors (a policy the mesh cannot meet) surface here, before any byte is sent
      const targets = plan(c, policy, entry.cid)
      const write = writeWithRetry(async o => c.writeChunk(o), { client: c.chunks, ...targets, replicas: policy.replicas, policies: [normaliseChunkPolicy(policy)], cid: entry.cid, bytes: chunk, signal: ac.signal }).then(result => {
        storedBytes += chunk.byteLength
        storedChunks++
        options.onProgress?.({ type: 'put:chunk', bytes: storedBytes, chunks: storedChunks, cid: entry.cid.toString(), holders: result.holders })
      }, (err: unknown) => {
        failure ??= { error: err }
        ac.abort(err)
      })
      inflight.add(write)
      void write.finally(() => inflight.delete(write))
      // entries go into the manifest in object order, whatever order the writes finish in
      await builder.add(entry, { signal: ac.signal })
      while (inflight.size >= concurrency && failure === undefined) await Promise.race(inflight)
    }
    // the manifest is written beside the last chunk writes, not after them: it
    // is invisible until the ref names it, and the ref still waits for both
    // (a small object then costs two rounds, not three)
    const finishing = builder.finish({ signal: ac.signal })
    const [, finished] = await Promise.allSettled([Promise.all(inflight), finishing])
    if (failure !== undefined) throw failure.error
    if (finished.status === 'rejected') throw finished.reason
    const manifest = finished.value
    const mcid = manifest.cid.toString()
    options.onProgress?.({ type: 'put:manifest', bytes: storedBytes, chunks: storedChunks, cid: mcid })
    // the last point where an abort still leaves nothing behind
    ac.signal.throwIfAborted()
    const { info } = manifest
    const ref: RefRecord = {
      bucket,
      key,
      manifest: mcid,
      size: info.size,
      etag: info.etag,
      version,
      deleted: false,
      ...(info.contentType !== undefined ? { contentType: info.contentType } : {})
    }
    await c.refs.putRef(ref, policy, { signal: ac.signal })
    c.manifests.add(manifest.cid, manifest.bytes)
    options.onProgress?.({ type: 'put:ref', bytes: storedBytes, chunks: storedChunks, cid: mcid })
    log('put %s/%s: %d bytes in %d chunks, manifest %s', bucket, key, info.size, info.chunkCount, mcid)
    return { bucket, key, size: info.size, etag: info.etag, version, manifest: mcid, chunks: info.chunkCount }
  } catch (err) {
    if (!ac.signal.aborted) ac.abort(err)
    await Promise.allSettled(inflight)
    // the caller's abort reason, else the first write failure, else what went wrong
    if (signal?.aborted === true) throw signal.reason
    throw failure !== undefined ? failure.error : err
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/** Targets and hand-off order for chunk `cid` under `policy`, from the current map. */
function plan (c: ObjectComponents, policy: BucketPolicy, cid: CID): { targets: string[], fallbacks: string[] } {
  const placement = c.placement()
  const partition = partitionOfDigest(cid.multihash.digest)
  const replicaSet = placement.replicaSet(partition, policy).nodes.map(n => n.peerId)
  const fallbacks = placement.fallbacks(partition, policy).map(n => n.peerId)
  const { targets, fallbacks: handOff } = planChunkWrite({ replicaSet, fallbacks, replicas: policy.replicas, exclude: peer => c.isFull?.(peer) === true })
  return { targets, fallbacks: handOff }
}
