/**
 * Group commit: many callers need the same expensive durable step (a level
 * batch written with `sync`, an fsync of one directory). While one commit
 * runs, new requests queue; when it ends, one commit covers every request
 * queued meanwhile. Each request resolves only once a commit that started
 * after it was made has finished, so it is exactly as durable as if it had
 * been committed alone; a lone request is committed at once (no added wait).
 */
export class GroupCommit<Op> {
  private readonly commit: (ops: Op[]) => Promise<void>
  private queue: Array<{ ops: Op[], resolve: () => void, reject: (err: unknown) => void }> = []
  private running = false

  constructor (commit: (ops: Op[]) => Promise<void>) {
    this.commit = commit
  }

  /** true while a commit runs or requests wait for one */
  get busy (): boolean {
    return this.running || this.queue.length > 0
  }

  /** Resolves once `ops` are committed (with whatever else was queued beside them). */
  async run (ops: Op[]): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, resolve, reject })
      if (!this.running) void this.drain()
    })
  }

  private async drain (): Promise<void> {
    this.running = true
    try {
      while (this.queue.length > 0) {
        const group = this.queue
        this.queue = []
        const ops = group.length === 1 ? (group[0]?.ops ?? []) : group.flatMap(g => g.ops)
        try {
          await this.commit(ops)
          for (const g of group) g.resolve()
        } catch (err) {
          // one failed commit fails everyone in it: none of them is known durable
          for (const g of group) g.reject(err)
        }
      }
    } finally {
      this.running = false
    }
  }
}

/**
 * fsyncs of directories, grouped per directory: an fsync covers every entry
 * created, renamed or removed in the directory before it started, so the
 * renames of concurrent writes into one directory share one fsync.
 */
export class DirSyncer {
  private readonly dirs = new Map<string, GroupCommit<never>>()
  private readonly fsyncDir: (dir: string) => Promise<void>

  constructor (fsyncDir: (dir: string) => Promise<void>) {
    this.fsyncDir = fsyncDir
  }

  async sync (dir: string): Promise<void> {
    let group = this.dirs.get(dir)
    if (group == null) {
      group = new GroupCommit<never>(async () => this.fsyncDir(dir))
      this.dirs.set(dir, group)
    }
    try {
      await group.run([])
    } finally {
      // idle directories are forgotten: the map holds only those being synced
      if (!group.busy && this.dirs.get(dir) === group) this.dirs.delete(dir)
    }
  }
}
