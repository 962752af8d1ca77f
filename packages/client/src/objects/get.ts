/**
 * get and head: resolve the ref (a majority read), open the manifest
 * (cached: it is immutable), and stream the chunks a read needs through the
 * replica reader: several in flight from the best replicas, verified,
 * delivered in order. A range reads only the chunks it overlaps, and of the
 * first and last only the blocks it needs.
 */
import { FrameBufferPool, asChunkCid, planBlockRead, validateBucketName, validateKey, InvalidCidError, InvalidRangeError } from '@weft/protocol'
import { NotFoundError } from './errors.js'
import { ChunkUnavailableError } from '../reads/errors.js'
import type { GetOptions, ObjectComponents, ObjectInfo } from './types.js'
import type { ReadJob } from '../reads/reader.js'
import type { AbortOptions } from '@libp2p/interface'
import type { BucketPolicy, ChunkSlice, ManifestReader, RefRecord } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

/** A live ref and the manifest it points to. */
interface Resolved {
  ref: RefRecord
  policy: BucketPolicy
  manifest: ManifestReader
}

async function resolve (c: ObjectComponents, bucket: string, key: string, options: AbortOptions): Promise<Resolved> {
  validateBucketName(bucket)
  validateKey(key)
  options.signal?.throwIfAborted()
  const policy = await c.policyOf(bucket, options)
  const ref = await c.refs.getRef(bucket, key, policy, options)
  if (ref === undefined || ref.deleted) throw new NotFoundError(bucket, key)
  const root = asChunkCid(ref.manifest)
  if (root === undefined) throw new NotFoundError(bucket, key)
  const manifest = await openManifest(c, root, policy, options)
  return { ref, policy, manifest }
}

/** The manifest rooted at `root`; its nodes are chunks placed like the object's own. */
export async function openManifest (c: ObjectComponents, root: CID, policy: BucketPolicy, options: AbortOptions = {}): Promise<ManifestReader> {
  const fetch = async (cid: CID, o: AbortOptions = {}): Promise<Uint8Array> => {
    const { parts } = await c.reader.read({ read: { cid }, policy }, o.signal)
    return parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts)
  }
  return c.manifests.open(root, fetch, options)
}

/** What head returns: the ref's fields and the manifest's metadata. */
export async function headObject (c: ObjectComponents, bucket: string, key: string, options: AbortOptions = {}): Promise<ObjectInfo> {
  const { ref, manifest } = await resolve(c, bucket, key, options)
  const { info } = manifest
  return {
    bucket,
    key,
    size: info.size,
    etag: info.etag,
    ...(info.contentType !== undefined ? { contentType: info.contentType } : {}),
    version: ref.version,
    manifest: ref.manifest ?? '',
    metadata: info.metadata,
    chunks: info.chunkCount
  }
}

/**
 * The object's bytes (or a range of them). Nothing is requested until the
 * iteration starts; a missing object throws `NotFoundError` on the first
 * `next()`. Leaving the loop early or aborting cancels every fetch.
 */
export function getObject (c: ObjectComponents, bucket: string, key: string, options: GetOptions = {}): AsyncIterable<Uint8Array> {
  const { range } = options
  if (range !== undefined) {
    const { offset, length } = range
    if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
      throw new InvalidRangeError(`range offset must be a non-negative integer and length a non-negative integer, got ${offset} and ${String(length)}`)
    }
  }
  return {
    [Symbol.asyncIterator]: () => read(c, bucket, key, options)
  }
}

/**
 * The version a read takes: the ref's, found by a majority read, or the one
 * the caller named by its manifest root (`options.manifest`), which needs
 * no ref replica at all: the manifest is checked against its id like any
 * chunk, and its own nodes name every chunk of that version.
 */
async function resolveRead (c: ObjectComponents, bucket: string, key: string, options: GetOptions): Promise<Pick<Resolved, 'policy' | 'manifest'>> {
  const { signal } = options
  if (options.manifest === undefined) return await resolve(c, bucket, key, { signal })
  validateBucketName(bucket)
  validateKey(key)
  const root = asChunkCid(options.manifest)
  if (root === undefined) throw new InvalidCidError(`manifest ${String(options.manifest)} is not a chunk id (a raw sha2-256 CIDv1, as list() and head() give it)`)
  const policy = await c.policyOf(bucket, { signal })
  try {
    return { policy, manifest: await openManifest(c, root, policy, { signal }) }
  } catch (err) {
    // every replica said it holds no such manifest: that version was deleted and collected, or never was
    if (err instanceof ChunkUnavailableError && err.failures.length > 0 && err.failures.every(f => f.code === 'ERR_CHUNK_NOT_FOUND')) throw new NotFoundError(bucket, key)
    throw err
  }
}

async function * read (c: ObjectComponents, bucket: string, key: string, options: GetOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal, range } = options
  const { policy, manifest } = await resolveRead(c, bucket, key, options)
  const size = manifest.info.size
  let slices: AsyncIterable<ChunkSlice>
  if (range === undefined) {
    slices = manifest.chunks({ signal })
  } else {
    if (range.offset > size) {
      throw new InvalidRangeError(`range starts at ${range.offset}, past the end of ${bucket}/${key} (${size} bytes)`)
    }
    slices = manifest.range(range.offset, range.length ?? size - range.offset, { signal })
  }
  if (options.reuseBuffers !== true) {
    yield * c.reader.stream(jobs(slices, manifest.info.blockSize, policy), signal)
    return
  }
  // a piece's buffer goes back to the pool once the caller has asked for the next piece and
  // that one lies in another buffer (pieces are whole frames, but never give back one still to come)
  const buffers = new FrameBufferPool()
  let lent: Uint8Array | undefined
  try {
    for await (const piece of c.reader.stream(jobs(slices, manifest.info.blockSize, policy, buffers), signal)) {
      if (lent !== undefined && lent.buffer !== piece.buffer) buffers.release(lent)
      lent = piece
      yield piece
    }
  } finally {
    c.reader.countReusedBuffers(buffers.stats.reused)
  }
}

/** One read job per chunk slice: the whole chunk (verified by id) or the blocks of a part (verified by block hash). */
async function * jobs (slices: AsyncIterable<ChunkSlice>, blockSize: number, policy: BucketPolicy, buffers?: FrameBufferPool): AsyncGenerator<ReadJob> {
  for await (const slice of slices) {
    const whole = slice.start === 0 && slice.end === slice.size
    const plan = whole ? undefined : planBlockRead(slice, blockSize, slice.start, slice.end)
    yield {
      read: { cid: slice.cid, size: slice.size, ...(plan !== undefined ? { plan } : {}), ...(buffers !== undefined ? { buffers } : {}) },
      policy
    }
  }
}
