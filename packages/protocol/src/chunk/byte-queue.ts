/**
 * A bounded single-consumer queue of byte slices: the session pushes a
 * message body's pieces in as frames arrive, the handler (server) or caller
 * (client) reads them as an async iterable. When more than `limit` bytes wait,
 * `push` returns a promise that settles once the consumer caught up; the
 * session awaits it before reading its transport again, which is what turns
 * a slow consumer into transport backpressure instead of memory.
 */
export class ByteQueue implements AsyncIterable<Uint8Array> {
  private readonly items: Uint8Array[] = []
  private bytes = 0
  private ended = false
  private error?: Error
  private discarded = false
  private wakeConsumer?: () => void
  private wakeProducers: Array<() => void> = []

  /**
   * @param limit - bytes held before push asks its caller to wait
   * @param onDiscard - called once when the consumer stops reading before the body ended
   */
  constructor (private readonly limit: number, private readonly onDiscard?: () => void) {}

  /** Bytes waiting for the consumer. */
  get length (): number {
    return this.bytes
  }

  /** Whether the consumer has gone (further pushes are dropped). */
  get isDiscarded (): boolean {
    return this.discarded
  }

  /** Whether no more pieces will be accepted (ended, failed or discarded). */
  get isClosed (): boolean {
    return this.ended || this.error != null || this.discarded
  }

  push (bytes: Uint8Array): Promise<void> | undefined {
    if (this.isClosed || bytes.byteLength === 0) {
      return undefined
    }
    this.items.push(bytes)
    this.bytes += bytes.byteLength
    this.wake()
    if (this.bytes <= this.limit) {
      return undefined
    }
    return new Promise(resolve => { this.wakeProducers.push(resolve) })
  }

  end (): void {
    if (this.isClosed) {
      return
    }
    this.ended = true
    this.wake()
  }

  /** Fail the consumer, even after end(): what it has not read yet is dropped. */
  fail (err: Error): void {
    if (this.error != null || this.discarded) {
      return
    }
    this.error = err
    this.items.length = 0
    this.bytes = 0
    this.wake()
    this.releaseProducers()
  }

  /** The consumer is gone: drop what is held and everything that comes. */
  discard (): void {
    if (this.discarded) {
      return
    }
    const wasClosed = this.isClosed
    this.discarded = true
    this.items.length = 0
    this.bytes = 0
    this.releaseProducers()
    this.wake()
    if (!wasClosed) {
      // the producer was still sending: tell it to stop
      this.onDiscard?.()
    }
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<Uint8Array> {
    let complete = false
    try {
      for (;;) {
        const item = this.items.shift()
        if (item != null) {
          this.bytes -= item.byteLength
          if (this.bytes <= this.limit) {
            this.releaseProducers()
          }
          yield item
          continue
        }
        if (this.error != null) {
          throw this.error
        }
        if (this.ended || this.discarded) {
          complete = this.ended
          return
        }
        await new Promise<void>(resolve => { this.wakeConsumer = resolve })
      }
    } finally {
      if (!complete && this.error == null) {
        this.discard()
      }
    }
  }

  private wake (): void {
    const wake = this.wakeConsumer
    this.wakeConsumer = undefined
    wake?.()
  }

  private releaseProducers (): void {
    const producers = this.wakeProducers
    this.wakeProducers = []
    for (const p of producers) {
      p()
    }
  }
}
