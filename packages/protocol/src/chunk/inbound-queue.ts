/**
 * The read side every ByteDuplex adapter shares: bytes pushed by the
 * transport's events wait here until the session consumes them; past
 * `highWaterMark` the transport is paused (its own flow control then stops
 * the sender) and below half of it resumed. `for await` over a transport
 * would buffer without bound instead.
 */
export interface InboundQueueInit {
  highWaterMark: number
  /** stop the transport from delivering more */
  pause(): void
  /** let it deliver again */
  resume(): void
}

export class InboundQueue {
  private readonly queue: Uint8Array[] = []
  private queued = 0
  private ended = false
  private failure: Error | undefined
  private pausedState = false
  private wake: (() => void) | undefined

  constructor (private readonly init: InboundQueueInit) {}

  /** true while the transport is held back */
  get paused (): boolean {
    return this.pausedState
  }

  get error (): Error | undefined {
    return this.failure
  }

  push (buf: Uint8Array): void {
    this.queue.push(buf)
    this.queued += buf.byteLength
    if (this.queued > this.init.highWaterMark && !this.pausedState) {
      this.pausedState = true
      this.init.pause()
    }
    this.notify()
  }

  /** no more bytes will come: the source ends once the queue is drained */
  end (): void {
    this.ended = true
    this.notify()
  }

  /**
   * The transport failed: the source throws `err` once the bytes already
   * queued are consumed, or at once when `discard` drops them.
   */
  fail (err: Error, discard = false): void {
    this.failure ??= err
    if (discard) {
      this.queue.length = 0
      this.queued = 0
    }
    this.notify()
  }

  async * source (): AsyncGenerator<Uint8Array> {
    for (;;) {
      const buf = this.queue.shift()
      if (buf != null) {
        this.queued -= buf.byteLength
        if (this.pausedState && this.queued <= this.init.highWaterMark / 2) {
          this.pausedState = false
          this.init.resume()
        }
        yield buf
        continue
      }
      if (this.failure != null) {
        throw this.failure
      }
      if (this.ended) {
        return
      }
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
