import { GroupCommit } from './group-commit.js'
import type { ChunkPolicy } from '@weft/protocol'
import type { AbstractBatchOperation, AbstractBatchOptions, AbstractLevel } from 'abstract-level'

/**
 * The chunk index: one level entry per stored chunk, keyed by the digest in
 * hex (so iteration is in partition order for any partition count), in the
 * `chunks` sublevel of the node's meta db.
 */

/**
 * A level db the store can share with the rest of the node (string keys).
 * Its default value type does not matter: the store's sublevel sets its own
 * encoding, and `unknown` would reject every `Level<string, V>`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MetaDb = AbstractLevel<string | Buffer | Uint8Array, string, any>

/** What the index keeps per chunk. */
export interface ChunkEntry {
  /** bytes in the chunk */
  size: number
  /** ms since the epoch when it was indexed */
  storedAt: number
  /** bytes covered by each CRC in `crc` */
  blockSize: number
  /** per-block CRC32s, big-endian uint32s in base64 */
  crc: string
  /** ms since the epoch of the last full re-hash that matched */
  verifiedAt?: number
  /** placement policies the chunk was written under (absent: none given) */
  policies?: readonly ChunkPolicy[]
}

/**
 * Every index write but a verifiedAt stamp is `sync` (classic-level fsyncs
 * its log): an acknowledged chunk survives power loss. abstract-level
 * forwards the option untouched. Concurrent sync writes share one batch
 * and one log fsync (group commit) instead of queueing for one each.
 */
const BATCH_SYNC: AbstractBatchOptions<string, ChunkEntry> & { sync: boolean } = { sync: true }

type IndexDb = AbstractLevel<string | Buffer | Uint8Array, string, ChunkEntry>
type IndexOp = AbstractBatchOperation<IndexDb, string, ChunkEntry>

export class ChunkIndex {
  private readonly db: IndexDb
  private readonly commits: GroupCommit<IndexOp>

  constructor (root: MetaDb) {
    this.db = root.sublevel<string, ChunkEntry>('chunks', { valueEncoding: 'json' })
    this.commits = new GroupCommit(async ops => { await this.db.batch(ops, BATCH_SYNC) })
  }

  async get (key: string): Promise<ChunkEntry | undefined> {
    return this.db.get(key)
  }

  async getMany (keys: string[]): Promise<Array<ChunkEntry | undefined>> {
    return this.db.getMany(keys)
  }

  async put (key: string, entry: ChunkEntry, sync = true): Promise<void> {
    if (sync) await this.commits.run([{ type: 'put', key, value: entry }])
    else await this.db.put(key, entry)
  }

  async del (key: string): Promise<void> {
    await this.commits.run([{ type: 'del', key }])
  }

  /** entries in key (= partition) order, optionally within a key range */
  async * entries (options: { gte?: string, lt?: string, signal?: AbortSignal } = {}): AsyncGenerator<[string, ChunkEntry]> {
    const range: { gte?: string, lt?: string, signal?: AbortSignal } = {}
    if (options.gte != null) range.gte = options.gte
    if (options.lt != null) range.lt = options.lt
    if (options.signal != null) range.signal = options.signal
    for await (const [key, entry] of this.db.iterator(range)) {
      yield [key, entry]
    }
  }
}
