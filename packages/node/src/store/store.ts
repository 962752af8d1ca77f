import { setMaxListeners } from 'node:events'
import fs from 'node:fs/promises'
import { TypedEventEmitter } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { PARTITION_BITS, partitionOfDigest } from '@weft/placement'
import { Level } from 'level'
import { mergeChunkPolicies } from '@weft/protocol'
import { anySignal } from './abortable.js'
import { Capacity } from './capacity.js'
import { encodeCrcs } from './checksums.js'
import { ChunkIndex } from './chunk-index.js'
import { chunkIdFromKey, partitionKeyRange, toChunkId } from './cid.js'
import { CHECK_BLOCK_SIZE } from './constants.js'
import { ChunkCorruptError, ChunkNotFoundError, ChunkTooLargeError, HashMismatchError, InvalidRangeError, SizeMismatchError, StoreClosedError, StoreFullError } from './errors.js'
import { hasCode, Layout } from './layout.js'
import { KeyedLock } from './lock.js'
import { checkFile, readFull, readRange } from './read.js'
import { recover } from './recover.js'
import { resolveOptions } from './options.js'
import { drain, writeTemp } from './write.js'
import type { StoreUsage } from './capacity.js'
import type { ChunkEntry, MetaDb } from './chunk-index.js'
import type { ChunkId } from './cid.js'
import type { StoreOptions } from './options.js'
import type { ChunkStat, ChunkStore, ChunkStoreEvents, ChunkStoreInit, GetOptions, ListedChunk, ListOptions, PutOptions, PutResult, StoreCounters } from './index.js'
import type { ChunkPolicy } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

const log = logger('weft:store')

/** touched chunks remembered at most (~100 B each) after a sweep prunes them; beyond it every chunk counts as touched now */
const MAX_TOUCHES = 1_000_000

/** The chunk store; see the `ChunkStore` interface for the contract. */
export class DefaultChunkStore extends TypedEventEmitter<ChunkStoreEvents> implements ChunkStore {
  private readonly layout: Layout
  private readonly db: MetaDb
  private readonly ownsDb: boolean
  private readonly index: ChunkIndex
  private readonly capacity: Capacity
  private readonly maxChunkSize: number
  private readonly locks = new KeyedLock()
  /** aborts puts in flight when the store closes */
  private readonly closing = new AbortController()
  private readonly inFlight = new Set<Promise<unknown>>()
  private readonly stats: StoreCounters = { corruptChunks: 0, hashMismatches: 0, rejectedFull: 0 }
  private closed = false
  /** when a writer last asked for a held chunk (HAS, or a put of it), by key; memory only (GC's grace) */
  private readonly touches = new Map<string, number>()
  /** every chunk counts as touched at least then: the store's open (touches are not persisted), or a touch overflow */
  private touchFloor = Date.now()
  /** chunks a GC delete is removing (past its touch check) */
  private readonly collecting = new Set<string>()

  private constructor (options: StoreOptions, layout: Layout, db: MetaDb, ownsDb: boolean) {
    super()
    // every put in flight listens on it
    setMaxListeners(Infinity, this.closing.signal)
    this.layout = layout
    this.db = db
    this.ownsDb = ownsDb
    this.index = new ChunkIndex(db)
    this.maxChunkSize = options.maxChunkSize
    this.capacity = new Capacity(options)
  }

  static async open (init: ChunkStoreInit): Promise<DefaultChunkStore> {
    const options = resolveOptions(init)
    const layout = new Layout(options.dir)
    await layout.init()
    let db = init.db
    const ownsDb = db == null
    if (db == null) {
      db = new Level<string, unknown>(layout.meta, { valueEncoding: 'json' })
      await db.open()
    }
    const store = new DefaultChunkStore(options, layout, db, ownsDb)
    try {
      await store.load()
    } catch (err) {
      if (ownsDb) {
        await db.close()
      }
      throw err
    }
    return store
  }

  /** reconcile the files with the index and rebuild the usage figures */
  private async load (): Promise<void> {
    await recover(this.layout, this.index, {
      keep: (_key, entry) => { this.capacity.added(entry.size) },
      drop: async (key) => {
        log('index entry %s has no file; dropping it', key)
        await this.index.del(key)
      },
      adopt: async (id, file) => {
        const check = await checkFile(file, id, CHECK_BLOCK_SIZE)
        if (check.corrupt != null) {
          await this.quarantineFile(id, file, check.corrupt, undefined)
          return
        }
        const { mtimeMs } = await fs.stat(file)
        await this.index.put(id.key, { size: check.size, storedAt: Math.round(mtimeMs), blockSize: CHECK_BLOCK_SIZE, crc: encodeCrcs(check.crcs) })
        this.capacity.added(check.size)
      }
    })
    await this.capacity.refresh(true)
  }

  async put (cid: CID, source: AsyncIterable<Uint8Array> | Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    this.assertOpen()
    const id = toChunkId(cid)
    const declared = source instanceof Uint8Array ? source.byteLength : options.size
    if (declared != null) {
      if (!Number.isSafeInteger(declared) || declared < 0) {
        throw new TypeError(`size must be a non-negative integer, got ${declared}`)
      }
      if (options.size != null && options.size !== declared) {
        throw new SizeMismatchError(id.cid.toString(), options.size, declared)
      }
      if (declared > this.maxChunkSize) {
        throw new ChunkTooLargeError(declared, this.maxChunkSize)
      }
    }
    return this.track(async () => {
      const { signal, clear } = anySignal([options.signal, this.closing.signal])
      try {
        // a put of a held chunk is a touch: GC keeps what a writer is about to reference
        const [existing] = await this.lookup([id.key], true)
        if (existing != null) {
          if (declared != null && declared !== existing.size) {
            throw new SizeMismatchError(id.cid.toString(), existing.size, declared)
          }
          await drain(id, source, existing.size, signal)
          if (options.policies != null && options.policies.length > 0) await this.addPolicies(id.cid, options.policies)
          return { size: existing.size, existed: true }
        }
        return await this.write(id, source, declared, options.policies ?? [], signal)
      } finally {
        clear()
      }
    })
  }

  private async write (id: ChunkId, source: AsyncIterable<Uint8Array> | Uint8Array, declared: number | undefined, policies: readonly ChunkPolicy[], signal: AbortSignal): Promise<PutResult> {
    await this.capacity.refresh()
    let reserved = 0
    const reserve = (bytes: number): void => {
      if (!this.capacity.tryReserve(bytes)) {
        // give the space back now, not after cleanup: puts of unknown size
        // racing for the last bytes must not all fail together
        const wanted = reserved + bytes
        const free = this.capacity.free()
        this.capacity.release(reserved)
        reserved = 0
        this.stats.rejectedFull++
        throw new StoreFullError(declared ?? wanted, free)
      }
      reserved += bytes
    }
    try {
      if (declared != null) {
        reserve(declared)
      }
      const temp = this.layout.tempPath()
      const written = await writeTemp({
        id,
        source,
        tempPath: temp,
        maxChunkSize: this.maxChunkSize,
        blockSize: CHECK_BLOCK_SIZE,
        expectedSize: declared,
        claim: declared == null ? reserve : undefined,
        signal
      }).catch((err: unknown) => {
        if (err instanceof HashMismatchError) {
          this.stats.hashMismatches++
        }
        throw err
      })
      const entry: ChunkEntry = { size: written.size, storedAt: Date.now(), blockSize: CHECK_BLOCK_SIZE, crc: encodeCrcs(written.crcs) }
      if (policies.length > 0) entry.policies = mergeChunkPolicies([], policies)
      return await this.commit(id, temp, entry, policies)
    } finally {
      this.capacity.release(reserved)
    }
  }

  /** make a verified, fsynced temp file the chunk: rename, fsync dir, index */
  private async commit (id: ChunkId, temp: string, entry: ChunkEntry, policies: readonly ChunkPolicy[]): Promise<PutResult> {
    return this.locks.run(id.key, async () => {
      const existing = await this.index.get(id.key)
      if (existing != null) {
        // a concurrent put of the same chunk won; its file is already whole
        await fs.rm(temp, { force: true })
        await this.mergePolicies(id, existing, policies)
        return { size: existing.size, existed: true }
      }
      const dest = this.layout.chunkPath(id)
      try {
        let leaf = await this.layout.ensureLeaf(id)
        try {
          await fs.rename(temp, dest)
        } catch (err) {
          if (!hasCode(err, 'ENOENT')) {
            throw err
          }
          // the fan-out dir was removed under us: make it again, once
          this.layout.forgetLeaf(id)
          leaf = await this.layout.ensureLeaf(id)
          await fs.rename(temp, dest)
        }
        // the entry goes in only once the rename is durable: whoever sees it
        // (a HAS, a put of the same chunk) may acknowledge the chunk as held
        await this.layout.syncDir(leaf)
        await this.index.put(id.key, entry)
      } catch (err) {
        // keep disk and index in step: no file without an entry (startup would fix it, but not until then)
        await fs.rm(temp, { force: true })
        await fs.rm(dest, { force: true })
        throw err
      }
      this.capacity.added(entry.size)
      this.safeDispatchEvent('chunk:stored', { detail: { cid: id.cid, size: entry.size } })
      return { size: entry.size, existed: false }
    })
  }

  async * get (cid: CID, options: GetOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    this.assertOpen()
    const id = toChunkId(cid)
    const file = this.layout.chunkPath(id)
    // the file is opened while the index is asked: two lookups in the time of one
    const opening = fs.open(file, 'r').then(fh => ({ fh }), (err: unknown) => ({ err }))
    let handedOn = false
    try {
      const entry = await this.index.get(id.key)
      const opened = await opening
      if (entry == null) {
        throw new ChunkNotFoundError(id.cid.toString())
      }
      if ('err' in opened) {
        // deleted while we looked it up
        if (hasCode(opened.err, 'ENOENT')) throw new ChunkNotFoundError(id.cid.toString())
        throw opened.err
      }
      const offset = options.offset ?? 0
      const length = options.length ?? entry.size - offset
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > entry.size) {
        throw new InvalidRangeError(id.cid.toString(), offset, options.length, entry.size)
      }
      // the reader owns the handle from here (it closes it)
      handedOn = true
      if (offset === 0 && length === entry.size) {
        yield * readFull(opened.fh, id, entry, options.signal)
      } else {
        yield * readRange(opened.fh, id, entry, offset, length, options.signal)
      }
    } catch (err) {
      if (err instanceof ChunkCorruptError) {
        await this.quarantine(id.cid, err.reason).catch(e => { log.error('could not quarantine %s - %e', id.cid, e) })
      }
      throw err
    } finally {
      if (!handedOn) {
        // not found, a bad range, an index error: close the file if it opened
        const opened = await opening
        if ('fh' in opened) await opened.fh.close().catch(() => {})
      }
    }
  }

  async has (cids: CID[], options: { touch?: boolean } = {}): Promise<boolean[]> {
    this.assertOpen()
    const entries = await this.lookup(cids.map(cid => toChunkId(cid).key), options.touch === true)
    return entries.map(e => e != null)
  }

  /**
   * Index entries; with `touch`, the held chunks are touched. The touch is
   * made before the lookup, so a GC delete either sees it (and keeps the
   * chunk) or is already past its check (and the chunk is answered absent).
   */
  private async lookup (keys: string[], touch: boolean): Promise<Array<ChunkEntry | undefined>> {
    if (!touch) return this.index.getMany(keys)
    const now = Date.now()
    const before = keys.map(k => this.touches.get(k))
    for (const k of keys) this.touches.set(k, now)
    const collecting = keys.map(k => this.collecting.has(k))
    const entries = await this.index.getMany(keys)
    return entries.map((entry, i) => {
      const key = keys[i] as string
      if (entry != null && collecting[i] !== true) return entry
      // only held chunks are remembered (a flood of HAS for absent ids must not grow the map)
      if (this.touches.get(key) === now) {
        const was = before[i]
        if (was === undefined) this.touches.delete(key)
        else this.touches.set(key, was)
      }
      return undefined
    })
  }

  async stat (cid: CID): Promise<ChunkStat | undefined> {
    this.assertOpen()
    const id = toChunkId(cid)
    const entry = await this.index.get(id.key)
    if (entry == null) {
      return undefined
    }
    return { size: entry.size, partition: partitionOfDigest(id.digest), storedAt: entry.storedAt, policies: entry.policies ?? [] }
  }

  async addPolicies (cid: CID, policies: readonly ChunkPolicy[]): Promise<boolean> {
    this.assertOpen()
    const id = toChunkId(cid)
    return this.track(async () => this.locks.run(id.key, async () => {
      const entry = await this.index.get(id.key)
      if (entry == null) return false
      await this.mergePolicies(id, entry, policies)
      return true
    }))
  }

  /** call under the chunk's lock */
  private async mergePolicies (id: ChunkId, entry: ChunkEntry, policies: readonly ChunkPolicy[]): Promise<void> {
    const held = entry.policies ?? []
    const merged = mergeChunkPolicies(held, policies)
    if (merged === held) return
    await this.index.put(id.key, { ...entry, policies: merged })
  }

  async delete (cid: CID): Promise<boolean> {
    this.assertOpen()
    const id = toChunkId(cid)
    return this.track(async () => this.locks.run(id.key, async () => {
      const entry = await this.index.get(id.key)
      if (entry == null) {
        return false
      }
      await this.remove(id, entry)
      return true
    }))
  }

  touchedAt (cid: CID): number {
    return Math.max(this.touches.get(toChunkId(cid).key) ?? 0, this.touchFloor)
  }

  forgetTouchesBefore (time: number): void {
    for (const [key, at] of this.touches) if (at < time) this.touches.delete(key)
    if (this.touches.size > MAX_TOUCHES) {
      // forgetting recent touches must not expose chunks: count every chunk as touched now instead
      this.touches.clear()
      this.touchFloor = Date.now()
    }
  }

  async deleteUntouched (cid: CID, before: number): Promise<number> {
    this.assertOpen()
    const id = toChunkId(cid)
    return this.track(async () => this.locks.run(id.key, async () => {
      const entry = await this.index.get(id.key)
      if (entry == null || Math.max(entry.storedAt, this.touchedAt(id.cid)) >= before) {
        return 0
      }
      // from the check on: a touch racing the removal answers the chunk as absent
      this.collecting.add(id.key)
      try {
        await this.remove(id, entry)
      } finally {
        this.collecting.delete(id.key)
      }
      return entry.size
    }))
  }

  /** call under the chunk's lock */
  private async remove (id: ChunkId, entry: ChunkEntry): Promise<void> {
    // file first: a crash in between leaves an entry without a file, which startup drops
    await fs.rm(this.layout.chunkPath(id), { force: true })
    await this.index.del(id.key)
    this.touches.delete(id.key)
    this.capacity.removed(entry.size)
    this.safeDispatchEvent('chunk:deleted', { detail: { cid: id.cid, size: entry.size } })
  }

  async * list (options: ListOptions = {}): AsyncGenerator<ListedChunk, void, undefined> {
    this.assertOpen()
    let range = {}
    if (options.partition != null) {
      if (!Number.isSafeInteger(options.partition) || options.partition < 0 || options.partition >= 2 ** PARTITION_BITS) {
        throw new RangeError(`partition must be an integer in [0, ${2 ** PARTITION_BITS})`)
      }
      range = partitionKeyRange(options.partition, PARTITION_BITS)
    }
    for await (const [key, entry] of this.index.entries({ ...range, signal: options.signal })) {
      const id = chunkIdFromKey(key)
      yield { cid: id.cid, size: entry.size, partition: partitionOfDigest(id.digest), storedAt: entry.storedAt, policies: entry.policies ?? [] }
    }
  }

  async verify (cid: CID, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    this.assertOpen()
    const id = toChunkId(cid)
    const entry = await this.index.get(id.key)
    if (entry == null) {
      throw new ChunkNotFoundError(id.cid.toString())
    }
    let reason: string | undefined
    try {
      const check = await checkFile(this.layout.chunkPath(id), id, entry.blockSize, options.signal)
      reason = check.corrupt ?? (check.size !== entry.size ? `file is ${check.size} bytes, the index says ${entry.size}` : undefined)
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) {
        throw err
      }
      reason = 'file missing'
    }
    if (reason == null) {
      await this.locks.run(id.key, async () => {
        const current = await this.index.get(id.key)
        if (current != null) {
          // not synced: losing a verifiedAt to a crash only means an earlier re-scrub
          await this.index.put(id.key, { ...current, verifiedAt: Date.now() }, false)
        }
      })
      return true
    }
    if (!await this.quarantine(id.cid, reason)) {
      throw new ChunkNotFoundError(id.cid.toString())
    }
    return false
  }

  async quarantine (cid: CID, reason: string): Promise<boolean> {
    this.assertOpen()
    const id = toChunkId(cid)
    return this.locks.run(id.key, async () => {
      return this.quarantineFile(id, this.layout.chunkPath(id), reason, await this.index.get(id.key))
    })
  }

  /**
   * Move a bad chunk file aside (if there is one), drop its index entry (if
   * any), count it, then emit 'chunk:corrupt'. Run under the chunk's lock.
   */
  private async quarantineFile (id: ChunkId, file: string, reason: string, entry: ChunkEntry | undefined): Promise<boolean> {
    let quarantinedTo: string | undefined = this.layout.quarantinePath(id)
    try {
      await fs.rename(file, quarantinedTo)
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) {
        throw err
      }
      quarantinedTo = undefined
    }
    if (entry == null && quarantinedTo == null) {
      return false
    }
    if (entry != null) {
      await this.index.del(id.key)
      this.capacity.removed(entry.size)
    }
    this.stats.corruptChunks++
    log.error('chunk %s is corrupt (%s); quarantined to %s', id.cid, reason, quarantinedTo ?? '(no file)')
    this.safeDispatchEvent('chunk:corrupt', { detail: { cid: id.cid, reason, size: entry?.size, quarantinedTo, policies: entry?.policies ?? [] } })
    return true
  }

  usage (): StoreUsage {
    return this.capacity.usage(!this.closed)
  }

  counters (): StoreCounters {
    return { ...this.stats }
  }

  async close (): Promise<void> {
    if (this.closed) {
      return
    }
    this.closed = true
    this.closing.abort(new StoreClosedError())
    await Promise.allSettled([...this.inFlight])
    if (this.ownsDb) {
      await this.db.close()
    }
  }

  private assertOpen (): void {
    if (this.closed) {
      throw new StoreClosedError()
    }
  }

  /** run an operation that close() must wait for */
  private async track<T> (fn: () => Promise<T>): Promise<T> {
    const p = fn()
    this.inFlight.add(p)
    try {
      return await p
    } finally {
      this.inFlight.delete(p)
    }
  }
}
