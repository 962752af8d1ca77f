/**
 * The node's ref store: the records of the partitions it replicates, in
 * level, keyed `bucket \0 key` (UTF-8) so a bucket's keys iterate in S3 list
 * order. Newest version wins on write; tombstones are kept (collected
 * later). Every write is `sync`: acknowledged means durable.
 *
 * A second sublevel indexes every ref by partition (`partition u32 BE |
 * bucket \0 key`), written in the same atomic batch, so repair can walk one
 * partition without scanning everything.
 */
import path from 'node:path'
import { logger } from '@libp2p/logger'
import { partitionOfRef } from '@weft/placement'
import {
  compareKeys, compareVersions, decodeStoredRecord, MAX_LIST_RESPONSE_BYTES, recordLocation
} from '@weft/protocol'
import { Level } from 'level'
import { GroupCommit } from '../store/group-commit.js'
import { REF_PARTITIONS_SUBLEVEL, REFS_DB_DIR, REFS_SUBLEVEL } from './constants.js'
import type { MetaDb } from '../store/index.js'
import type {
  RecordLocation, RefListAnswer, RefListRequest, RefPartitionRequest, RefPutAnswer, StoredRecord, Version
} from '@weft/protocol'
import type { AbstractBatchOperation, AbstractBatchOptions, AbstractSublevel } from 'abstract-level'

const log = logger('weft:node:refs:store')

const encoder = new TextEncoder()
const SEPARATOR = 0x00
/** above every UTF-8 byte: the exclusive end of a key range by prefix */
const AFTER_ALL = 0xFF
const EMPTY = new Uint8Array(0)
/** classic-level fsyncs its log before the batch resolves (abstract-level passes the option on) */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const SYNC: AbstractBatchOptions<any, any> & { sync: boolean } = { sync: true }

type BinaryLevel = AbstractSublevel<MetaDb, string | Buffer | Uint8Array, Uint8Array, Uint8Array>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RefOp = AbstractBatchOperation<MetaDb, any, any>

export interface RefStoreInit {
  /** an open level db to share (the node's meta db); the store uses two sublevels and leaves it open on close */
  db?: MetaDb
  /** the data dir: without `db`, a db of its own is opened at `<dir>/meta-refs` */
  dir?: string
}

function concat (...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.byteLength
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** `bucket \0 key` as UTF-8: the store's key. */
export function refKey (loc: RecordLocation): Uint8Array {
  return concat(encoder.encode(loc.bucket), Uint8Array.of(SEPARATOR), encoder.encode(loc.key))
}

function partitionPrefix (partition: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, partition)
  return out
}

export class RefStore {
  private readonly root: MetaDb
  private readonly refs: BinaryLevel
  private readonly partitions: BinaryLevel
  private readonly ownsDb: boolean
  private readonly locks = new Map<string, Promise<unknown>>()
  /** concurrent writes of different refs share one synced batch (one log fsync) */
  private readonly commits: GroupCommit<RefOp>
  private closed = false

  private constructor (root: MetaDb, ownsDb: boolean) {
    this.root = root
    this.ownsDb = ownsDb
    this.refs = root.sublevel<Uint8Array, Uint8Array>(REFS_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
    this.partitions = root.sublevel<Uint8Array, Uint8Array>(REF_PARTITIONS_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
    this.commits = new GroupCommit(async ops => { await root.batch(ops, SYNC) })
  }

  static async open (init: RefStoreInit): Promise<RefStore> {
    if (init.db != null) return new RefStore(init.db, false)
    if (typeof init.dir !== 'string' || init.dir === '') throw new TypeError('the ref store needs a db or a dir')
    const db = new Level<string, unknown>(path.join(init.dir, REFS_DB_DIR), { valueEncoding: 'json' })
    await db.open()
    return new RefStore(db, true)
  }

  /**
   * Stores `record` unless the held version is as new or newer. `bytes` is
   * its encoding (validated by the caller's decode); resolves only after the
   * write is on disk.
   */
  async put (record: StoredRecord, bytes: Uint8Array): Promise<RefPutAnswer> {
    const loc = recordLocation(record)
    const key = refKey(loc)
    return this.locked(`${loc.bucket}\0${loc.key}`, async () => {
      const held = await this.decodeHeld(loc, await this.refs.get(key))
      if (held != null) {
        const order = compareVersions(record.version, held.version)
        if (order < 0) return { status: 'older', current: held.version }
        if (order === 0) return { status: 'existing', current: held.version }
      }
      // one atomic batch: a ref is never stored without its partition entry
      const ops: RefOp[] = [{ type: 'put', key, value: bytes.slice(), sublevel: this.refs }]
      if (held == null) ops.push({ type: 'put', key: concat(partitionPrefix(partitionOfRef(loc.bucket, loc.key)), key), value: EMPTY, sublevel: this.partitions })
      await this.commits.run(ops)
      return { status: 'stored', current: record.version }
    })
  }

  /** The held record's bytes. */
  async getBytes (loc: RecordLocation): Promise<Uint8Array | undefined> {
    return this.refs.get(refKey(loc))
  }

  /** The held record, decoded. */
  async get (loc: RecordLocation): Promise<StoredRecord | undefined> {
    return this.decodeHeld(loc, await this.refs.get(refKey(loc)))
  }

  /**
   * A page of a bucket's records in key order, tombstones included: at most
   * `limit`, and fewer once MAX_LIST_RESPONSE_BYTES is reached; `more` says
   * whether any follow.
   */
  async list (req: RefListRequest, options: { signal?: AbortSignal } = {}): Promise<RefListAnswer> {
    const base = refKey({ bucket: req.bucket, key: req.prefix })
    const range: { gt?: Uint8Array, gte?: Uint8Array, lt: Uint8Array, limit: number, signal?: AbortSignal } = {
      lt: concat(base, Uint8Array.of(AFTER_ALL)),
      limit: req.limit + 1
    }
    if (req.startAfter !== undefined && compareKeys(req.startAfter, req.prefix) >= 0) range.gt = refKey({ bucket: req.bucket, key: req.startAfter })
    else range.gte = base
    if (options.signal != null) range.signal = options.signal
    const records: Uint8Array[] = []
    let bytes = 0
    for await (const value of this.refs.values(range)) {
      if (records.length >= req.limit || bytes + value.byteLength > MAX_LIST_RESPONSE_BYTES) return { records, more: true }
      records.push(value)
      bytes += value.byteLength
    }
    return { records, more: false }
  }

  /** A page of one partition's records in (bucket, key) order. */
  async partition (req: RefPartitionRequest, options: { signal?: AbortSignal } = {}): Promise<RefListAnswer> {
    const prefix = partitionPrefix(req.partition)
    const range: { gt?: Uint8Array, gte?: Uint8Array, lt: Uint8Array, limit: number, signal?: AbortSignal } = {
      lt: concat(prefix, Uint8Array.of(AFTER_ALL)),
      limit: req.limit + 1
    }
    if (req.startAfter != null) range.gt = concat(prefix, refKey(req.startAfter))
    else range.gte = prefix
    if (options.signal != null) range.signal = options.signal
    const keys: Uint8Array[] = []
    for await (const key of this.partitions.keys(range)) keys.push(key.subarray(4))
    const more = keys.length > req.limit
    const values = await this.refs.getMany(keys.slice(0, req.limit))
    const records: Uint8Array[] = []
    let bytes = 0
    for (const value of values) {
      if (value == null) continue
      if (bytes + value.byteLength > MAX_LIST_RESPONSE_BYTES) return { records, more: true }
      records.push(value)
      bytes += value.byteLength
    }
    return { records, more }
  }

  /**
   * Every record held (object refs, tombstones and bucket records), in
   * (bucket, key) order, decoded; undecodable ones are logged and skipped.
   * Reads a level iterator's snapshot, so writes during the walk may or may
   * not be seen.
   */
  async * records (options: { signal?: AbortSignal } = {}): AsyncGenerator<StoredRecord, void, undefined> {
    for await (const value of this.refs.values(options.signal != null ? { signal: options.signal } : {})) {
      try {
        yield decodeStoredRecord(value)
      } catch (err) {
        log.error('skipping an undecodable record - %e', err)
      }
    }
  }

  /**
   * Removes the record at `loc` (and its partition entry) only if the held
   * version is exactly `version`: a newer write that landed meanwhile stays.
   * Resolves whether it removed anything, once that is on disk.
   */
  async deleteIfVersion (loc: RecordLocation, version: Version): Promise<boolean> {
    const key = refKey(loc)
    return this.locked(`${loc.bucket}\0${loc.key}`, async () => {
      const held = await this.decodeHeld(loc, await this.refs.get(key))
      if (held == null || compareVersions(held.version, version) !== 0) return false
      await this.commits.run([
        { type: 'del', key, sublevel: this.refs },
        { type: 'del', key: concat(partitionPrefix(partitionOfRef(loc.bucket, loc.key)), key), sublevel: this.partitions }
      ])
      return true
    })
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.allSettled([...this.locks.values()])
    if (this.ownsDb) await this.root.close()
  }

  private async decodeHeld (loc: RecordLocation, bytes: Uint8Array | undefined): Promise<StoredRecord | undefined> {
    if (bytes == null) return undefined
    try {
      return decodeStoredRecord(bytes)
    } catch (err) {
      // only a damaged db holds an undecodable record; the next write replaces it
      log.error('undecodable record at %s/%s - %e', loc.bucket, loc.key, err)
      return undefined
    }
  }

  /** Runs `fn` after every earlier call for the same key: read-compare-write must not interleave. */
  private async locked<T> (id: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(id) ?? Promise.resolve()
    const run = before.then(fn, fn)
    const tail = run.catch(() => {})
    this.locks.set(id, tail)
    try {
      return await run
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id)
    }
  }
}
