/**
 * A drain survives a restart: the decision is kept as a file in the data
 * dir, so a node restarted mid-drain comes back draining.
 */
import fs from 'node:fs/promises'
import path from 'node:path'

const FILE = 'draining'

export class DrainFlag {
  private readonly file: string
  private set = false

  constructor (dataDir: string) {
    this.file = path.join(dataDir, FILE)
  }

  get isSet (): boolean {
    return this.set
  }

  async load (): Promise<boolean> {
    this.set = await fs.access(this.file).then(() => true, () => false)
    return this.set
  }

  /** Records the drain durably (file and directory fsynced) before anything moves. */
  async raise (): Promise<void> {
    if (this.set) return
    const handle = await fs.open(this.file, 'w')
    try {
      await handle.writeFile(`${new Date().toISOString()}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    const dir = await fs.open(path.dirname(this.file), 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
    this.set = true
  }
}
