import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { DirSyncer } from './group-commit.js'
import type { ChunkId } from './cid.js'

/**
 * Where things live under the data dir (DESIGN section 9):
 *
 *   <dir>/chunks/ab/cd/<cid>   one file per chunk; ab/cd = first two digest bytes
 *   <dir>/tmp/                 in-flight writes, emptied at open
 *   <dir>/quarantine/          chunks that failed verification, kept for a post-mortem
 *   <dir>/meta/                level (the chunk index) unless a db is shared
 *
 * The fan-out uses the leading digest bytes (uniform, unlike the constant
 * `bafkrei` prefix of the CID string), so a leaf directory holds a run of
 * whole partitions and the directory walk comes out in index order.
 */
export class Layout {
  readonly dir: string
  readonly chunks: string
  readonly tmp: string
  readonly quarantine: string
  readonly meta: string
  /** fan-out directories known to exist with a durable entry in their parent */
  private readonly durable = new Set<string>()
  /** directory fsyncs, shared by the writes that wait on the same directory at once */
  private readonly syncer = new DirSyncer(fsyncDir)

  constructor (dir: string) {
    this.dir = dir
    this.chunks = path.join(dir, 'chunks')
    this.tmp = path.join(dir, 'tmp')
    this.quarantine = path.join(dir, 'quarantine')
    this.meta = path.join(dir, 'meta')
  }

  async init (): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true })
    for (const d of [this.chunks, this.tmp, this.quarantine]) {
      await fs.mkdir(d, { recursive: true })
    }
    await fsyncDir(this.dir)
  }

  leafDir (id: ChunkId): string {
    return path.join(this.chunks, id.key.slice(0, 2), id.key.slice(2, 4))
  }

  chunkPath (id: ChunkId): string {
    return path.join(this.leafDir(id), id.cid.toString())
  }

  tempPath (): string {
    return path.join(this.tmp, `${randomBytes(12).toString('hex')}.tmp`)
  }

  quarantinePath (id: ChunkId): string {
    return path.join(this.quarantine, `${id.cid.toString()}.${Date.now()}.${randomBytes(4).toString('hex')}`)
  }

  /**
   * Make sure the chunk's leaf directory exists and its entry is durable: a
   * renamed-in chunk is only as durable as every directory above it.
   */
  async ensureLeaf (id: ChunkId): Promise<string> {
    const leaf = this.leafDir(id)
    const mid = path.dirname(leaf)
    await this.ensureDir(mid, this.chunks)
    await this.ensureDir(leaf, mid)
    return leaf
  }

  /** fsync `dir`, sharing the fsync with concurrent callers (see DirSyncer) */
  async syncDir (dir: string): Promise<void> {
    await this.syncer.sync(dir)
  }

  /** forget that a leaf exists (someone removed it under us) */
  forgetLeaf (id: ChunkId): void {
    this.durable.delete(this.leafDir(id))
  }

  /**
   * Create `dir` if needed and fsync its parent, once per process: a dir that
   * already exists may come from a run that crashed before that fsync.
   */
  private async ensureDir (dir: string, parent: string): Promise<void> {
    if (this.durable.has(dir)) {
      return
    }
    await mkdirIfMissing(dir)
    await this.syncer.sync(parent)
    this.durable.add(dir)
  }
}

/** true if this call created the directory */
async function mkdirIfMissing (dir: string): Promise<boolean> {
  try {
    await fs.mkdir(dir)
    return true
  } catch (err) {
    if (hasCode(err, 'EEXIST')) {
      return false
    }
    throw err
  }
}

/** fsync a directory so the entries created, renamed or removed in it survive a crash */
export async function fsyncDir (dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** whether `err` is a Node system error with this `code` (ENOENT, EEXIST...) */
export function hasCode (err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code
}
