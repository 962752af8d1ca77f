import { createHash } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { sha256 } from 'multiformats/hashes/sha2'
import { ClientSession } from './client-session.js'
import {
  DEFAULT_BODY_BUFFER_BYTES, DEFAULT_CLIENT_IDLE_TIMEOUT, DEFAULT_INACTIVITY_TIMEOUT,
  DEFAULT_MAX_REQUESTS_PER_STREAM, DEFAULT_MAX_STREAMS_PER_PEER, MAX_HAS_BATCH
} from './constants.js'
import { ChainBrokenError, HashMismatchError, SizeMismatchError, wireCodeOf } from './errors.js'
import { SessionPool } from './pool.js'
import type { ByteDuplex } from './duplex.js'
import type { FrameBufferPool } from './frame-pool.js'
import type { ChunkStat, ForwardTarget, PutResult } from './messages.js'
import type { ChunkPolicy } from './policy.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Opens a transport to a peer; `libp2pTransport(libp2p)` is the libp2p one. */
export type ChunkTransport = (peer: PeerId, options?: AbortOptions) => Promise<ByteDuplex>

export interface ChunkClientInit {
  transport: ChunkTransport
  /**
   * Long-lived streams kept per peer.
   *
   * @default DEFAULT_MAX_STREAMS_PER_PEER
   */
  maxStreamsPerPeer?: number
  /**
   * Requests in flight per stream; beyond all streams' slots, callers wait.
   *
   * @default DEFAULT_MAX_REQUESTS_PER_STREAM
   */
  maxRequestsPerStream?: number
  /**
   * A stream unused this long (ms) is closed.
   *
   * @default DEFAULT_CLIENT_IDLE_TIMEOUT
   */
  idleTimeout?: number
  /**
   * How long (ms) an answer may make no progress before the request fails.
   *
   * @default DEFAULT_INACTIVITY_TIMEOUT
   */
  inactivityTimeout?: number
  /**
   * @default DEFAULT_BODY_BUFFER_BYTES
   */
  bodyBufferBytes?: number
}

export interface ChunkPutOptions extends AbortOptions {
  /** Byte length of the chunk; required when `source` is not a Uint8Array */
  size?: number
  /** Replicas the first one passes the chunk on to, in chain order */
  forward?: Array<PeerId | ForwardTarget>
  /** placement policies the chunk is written under; every replica of the chain keeps them */
  policies?: readonly ChunkPolicy[]
}

export interface ChunkGetOptions extends AbortOptions {
  offset?: number
  /** Bytes to read; omitted reads to the end */
  length?: number
  /**
   * Hash a whole-chunk read and fail at its end when it does not match the
   * id. (Range reads cannot be checked against the id.)
   *
   * @default true
   */
  verify?: boolean
  /**
   * Receive the bytes into buffers of this pool where the transport allows
   * (the bulk channel): the caller gives each piece back with
   * `buffers.release(piece)` once it is done with it, and must not touch it
   * after. Without it every piece is the caller's to keep.
   */
  buffers?: FrameBufferPool
}

/** Chunk operations on any peer, over pooled long-lived streams. */
export interface ChunkClient {
  /**
   * Send a chunk once, to `peer`, which stores it and passes it down the
   * `forward` chain while receiving. Resolves with every replica of the chain
   * in `stored` or `failed` (never both); rejects only for the caller's own
   * faults (abort, a source that throws or has the wrong size).
   */
  put(peer: PeerId, cid: CID, source: AsyncIterable<Uint8Array> | Uint8Array, options?: ChunkPutOptions): Promise<PutResult>
  /** The chunk's bytes (or a range). The request starts on first iteration. */
  get(peer: PeerId, cid: CID, options?: ChunkGetOptions): AsyncIterable<Uint8Array>
  /** Which of `cids` the peer holds (any number: batched by MAX_HAS_BATCH). */
  has(peer: PeerId, cids: CID[], options?: AbortOptions): Promise<boolean[]>
  stat(peer: PeerId, cid: CID, options?: AbortOptions): Promise<ChunkStat | undefined>
  /** Delete a chunk on a peer (refused unless we are a mesh member there). Resolves whether it existed. */
  delete(peer: PeerId, cid: CID, options?: AbortOptions): Promise<boolean>
  /** Close every pooled stream (after requests in flight are answered). */
  close(): Promise<void>
}

const log = logger('weft:chunk:client')

class DefaultChunkClient implements ChunkClient {
  private readonly init: ChunkClientInit
  private readonly pools = new Map<string, SessionPool>()
  private readonly idleTimeout: number
  private sweeper?: ReturnType<typeof setInterval>

  constructor (init: ChunkClientInit) {
    this.init = init
    this.idleTimeout = init.idleTimeout ?? DEFAULT_CLIENT_IDLE_TIMEOUT
  }

  async put (peer: PeerId, cid: CID, source: AsyncIterable<Uint8Array> | Uint8Array, options: ChunkPutOptions = {}): Promise<PutResult> {
    const size = source instanceof Uint8Array ? source.byteLength : options.size
    if (size == null || !Number.isInteger(size) || size < 0) {
      throw new TypeError('put needs options.size when the source is not a Uint8Array')
    }
    if (options.size != null && options.size !== size) {
      throw new SizeMismatchError(`options.size ${options.size} differs from the source's ${size} bytes`)
    }
    const forward = (options.forward ?? []).map(f => 'peer' in f ? f : { peer: f })
    // errors raised by the caller's source are the caller's, not the peer's: tell them apart
    let localError: unknown
    const body = source instanceof Uint8Array ? [source] : checked(source, size, err => { localError = err })
    try {
      return await this.withSession(peer, options, async s => s.put(options.policies != null && options.policies.length > 0 ? { cid, size, forward, policies: options.policies } : { cid, size, forward }, body, options))
    } catch (err) {
      if (localError != null) {
        throw localError as Error
      }
      options.signal?.throwIfAborted()
      const code = wireCodeOf(err)
      const message = (err as Error).message
      log('put of %c to %p failed - %e', cid, peer, err)
      return {
        stored: [],
        failed: [
          { peer, code, message },
          ...forward.map(f => ({ peer: f.peer, code: ChainBrokenError.code, message: `outcome unknown: ${peer.toString()} before it in the chain failed with ${code}` }))
        ]
      }
    }
  }

  get (peer: PeerId, cid: CID, options: ChunkGetOptions = {}): AsyncIterable<Uint8Array> {
    const offset = options.offset ?? 0
    const whole = offset === 0 && options.length == null
    const verify = whole && options.verify !== false && cid.multihash.code === sha256.code
    return this.read(peer, cid, offset, verify, options)
  }

  private async * read (peer: PeerId, cid: CID, offset: number, verify: boolean, options: ChunkGetOptions): AsyncGenerator<Uint8Array> {
    const { session, release } = await this.pool(peer).acquire(options)
    try {
      const { data } = await session.get({ cid, offset, length: options.length }, options)
      const hash = verify ? createHash('sha256') : undefined
      for await (const buf of data) {
        hash?.update(buf)
        yield buf
      }
      if (hash != null && !equalBytes(hash.digest(), cid.multihash.digest)) {
        throw new HashMismatchError(`bytes received for ${cid.toString()} do not match its hash`)
      }
    } finally {
      release()
    }
  }

  async has (peer: PeerId, cids: CID[], options: AbortOptions = {}): Promise<boolean[]> {
    const out: boolean[] = []
    for (let i = 0; i < cids.length; i += MAX_HAS_BATCH) {
      const batch = cids.slice(i, i + MAX_HAS_BATCH)
      out.push(...await this.withSession(peer, options, async s => s.has(batch, options)))
    }
    return out
  }

  async stat (peer: PeerId, cid: CID, options: AbortOptions = {}): Promise<ChunkStat | undefined> {
    return this.withSession(peer, options, async s => s.stat(cid, options))
  }

  async delete (peer: PeerId, cid: CID, options: AbortOptions = {}): Promise<boolean> {
    return this.withSession(peer, options, async s => s.delete(cid, options))
  }

  async close (): Promise<void> {
    if (this.sweeper != null) {
      clearInterval(this.sweeper)
      this.sweeper = undefined
    }
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map(async p => p.close()))
  }

  private async withSession<T> (peer: PeerId, options: AbortOptions, fn: (s: ClientSession) => Promise<T>): Promise<T> {
    const { session, release } = await this.pool(peer).acquire(options)
    try {
      return await fn(session)
    } finally {
      release()
    }
  }

  private pool (peer: PeerId): SessionPool {
    const key = peer.toString()
    let pool = this.pools.get(key)
    if (pool == null) {
      pool = new SessionPool({
        open: async (options) => new ClientSession(await this.init.transport(peer, options), {
          inactivityTimeout: this.init.inactivityTimeout ?? DEFAULT_INACTIVITY_TIMEOUT,
          bodyBufferBytes: this.init.bodyBufferBytes ?? DEFAULT_BODY_BUFFER_BYTES,
          log: log.newScope(key.slice(-8))
        }),
        maxSessions: this.init.maxStreamsPerPeer ?? DEFAULT_MAX_STREAMS_PER_PEER,
        maxRequestsPerSession: this.init.maxRequestsPerStream ?? DEFAULT_MAX_REQUESTS_PER_STREAM,
        idleTimeout: this.idleTimeout
      })
      this.pools.set(key, pool)
      this.startSweeper()
    }
    return pool
  }

  private startSweeper (): void {
    if (this.sweeper != null) {
      return
    }
    this.sweeper = setInterval(() => {
      const now = Date.now()
      for (const [key, pool] of this.pools) {
        pool.sweep(now)
        // a pool whose first session is still being opened is not empty: dropping
        // it would orphan that session (never swept, never closed by close())
        if (pool.idle) {
          this.pools.delete(key)
        }
      }
    }, Math.max(50, Math.floor(this.idleTimeout / 2)))
    this.sweeper.unref?.()
  }
}

/** Pass a source through, recording (and rethrowing) its own failures and size faults. */
async function * checked (source: AsyncIterable<Uint8Array>, size: number, onError: (err: unknown) => void): AsyncGenerator<Uint8Array> {
  let seen = 0
  try {
    for await (const buf of source) {
      seen += buf.byteLength
      if (seen > size) {
        throw new SizeMismatchError(`source is longer than the declared ${size} bytes`)
      }
      yield buf
      if (seen === size) {
        return
      }
    }
    if (seen < size) {
      throw new SizeMismatchError(`source ended after ${seen} of the declared ${size} bytes`)
    }
  } catch (err) {
    onError(err)
    throw err
  }
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) {
    return false
  }
  for (let i = 0; i < a.byteLength; i++) {
    if (a[i] !== b[i]) {
      return false
    }
  }
  return true
}

export function createChunkClient (init: ChunkClientInit): ChunkClient {
  return new DefaultChunkClient(init)
}
