/**
 * The record seq only grows, across restarts too. Seqs are reserved on disk
 * in blocks before use: the file holds the highest seq that may have been
 * used, so a restart continues above it and never reuses one.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { SEQ_FILE, SEQ_RESERVE_BLOCK } from './constants.js'
import { CorruptStateError } from './errors.js'
import { writeFileAtomic } from './files.js'

export class SeqStore {
  private readonly file: string
  private last = 0
  private reserved = 0
  private chain: Promise<unknown> = Promise.resolve()

  constructor (dataDir: string, private readonly block = SEQ_RESERVE_BLOCK) {
    this.file = path.join(dataDir, SEQ_FILE)
  }

  async load (): Promise<void> {
    let text: string | undefined
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    const value = text === undefined ? 0 : Number(text.trim())
    if (!Number.isSafeInteger(value) || value < 0) throw new CorruptStateError(`${this.file} does not hold a seq`)
    this.last = value
    this.reserved = value
  }

  /** The next seq, persisted (reserved) before it is returned. */
  async next (): Promise<number> {
    // serialised: two concurrent callers must not both reserve from the same base
    const result = this.chain.then(async () => this.reserveNext())
    this.chain = result.catch(() => {})
    return result
  }

  private async reserveNext (): Promise<number> {
    const seq = this.last + 1
    if (seq > this.reserved) {
      const reserve = seq + this.block - 1
      await writeFileAtomic(this.file, `${reserve}\n`)
      this.reserved = reserve
    }
    this.last = seq
    return seq
  }

  /** Makes every later seq greater than `seq`. */
  async skipPast (seq: number): Promise<void> {
    const result = this.chain.then(async () => {
      if (seq > this.last) {
        this.last = seq
        if (seq > this.reserved) {
          await writeFileAtomic(this.file, `${seq}\n`)
          this.reserved = seq
        }
      }
    })
    this.chain = result.catch(() => {})
    await result
  }
}
