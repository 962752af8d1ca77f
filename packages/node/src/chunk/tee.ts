import { ByteQueue } from '@weft/protocol'

/**
 * Split one byte stream into branches that read it at their own pace, with
 * at most `limit` bytes waiting per branch: the slowest live branch sets the
 * pace. A branch whose reader stops (or is dropped) no longer holds the others
 * back; when every branch is gone the source is no longer read. A source
 * error fails every live branch.
 */
export class Tee {
  private readonly queues: ByteQueue[]
  private readonly done: Promise<void>

  constructor (source: AsyncIterable<Uint8Array>, branches: number, limit: number) {
    this.queues = Array.from({ length: branches }, () => new ByteQueue(limit))
    this.done = this.pump(source)
  }

  branch (i: number): AsyncIterable<Uint8Array> {
    const q = this.queues[i]
    if (q == null) {
      throw new RangeError(`no branch ${i}`)
    }
    return q
  }

  /** Stop feeding branch `i` (its reader finished or failed). */
  drop (i: number): void {
    this.queues[i]?.discard()
  }

  /** Settles when the source is no longer read. */
  get finished (): Promise<void> {
    return this.done
  }

  private async pump (source: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const buf of source) {
        const waits: Array<Promise<void>> = []
        for (const q of this.queues) {
          const w = q.push(buf)
          if (w != null) {
            waits.push(w)
          }
        }
        if (this.queues.every(q => q.isClosed)) {
          return
        }
        await Promise.all(waits)
      }
      for (const q of this.queues) {
        q.end()
      }
    } catch (err) {
      for (const q of this.queues) {
        q.fail(err as Error)
      }
    }
  }
}
