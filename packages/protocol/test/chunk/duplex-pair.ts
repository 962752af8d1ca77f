import type { ByteDuplex } from '../../src/chunk/duplex.js'

/**
 * Two ByteDuplex ends joined in memory, with real backpressure: a write
 * resolves only once the other side's unread bytes are under `limit`.
 */
export function duplexPair (limit = 256 * 1024): [ByteDuplex, ByteDuplex] {
  const ab = new Channel(limit)
  const ba = new Channel(limit)
  return [end(ba, ab), end(ab, ba)]
}

function end (incoming: Channel, outgoing: Channel): ByteDuplex {
  return {
    source: incoming.read(),
    write: async (bytes) => outgoing.write(bytes),
    close: async () => { outgoing.close() },
    abort: (err) => {
      outgoing.fail(err)
      incoming.fail(err)
    }
  }
}

class Channel {
  private readonly items: Uint8Array[] = []
  private bytes = 0
  private closed = false
  private error?: Error
  private wakeReader?: () => void
  private wakeWriters: Array<() => void> = []

  constructor (private readonly limit: number) {}

  /** Bytes written and not yet read. */
  get unread (): number {
    return this.bytes
  }

  async write (bytes: Uint8Array): Promise<void> {
    if (this.error != null) {
      throw this.error
    }
    if (this.closed) {
      throw new Error('write after close')
    }
    // copy: the writer may reuse its buffer, as a socket would allow
    this.items.push(bytes.slice())
    this.bytes += bytes.byteLength
    this.wake()
    while (this.bytes > this.limit && this.error == null) {
      await new Promise<void>(resolve => { this.wakeWriters.push(resolve) })
    }
    // re-read through a call: the check above narrowed `this.error` to undefined
    const err = this.failure()
    if (err != null) {
      throw err
    }
  }

  private failure (): Error | undefined {
    return this.error
  }

  close (): void {
    this.closed = true
    this.wake()
  }

  fail (err: Error): void {
    if (this.error != null) {
      return
    }
    this.error = err
    this.items.length = 0
    this.bytes = 0
    this.wake()
    this.release()
  }

  async * read (): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.error != null) {
        throw this.error
      }
      const item = this.items.shift()
      if (item != null) {
        this.bytes -= item.byteLength
        this.release()
        yield item
        continue
      }
      if (this.closed) {
        return
      }
      await new Promise<void>(resolve => { this.wakeReader = resolve })
    }
  }

  private wake (): void {
    const w = this.wakeReader
    this.wakeReader = undefined
    w?.()
  }

  private release (): void {
    const writers = this.wakeWriters
    this.wakeWriters = []
    for (const w of writers) {
      w()
    }
  }
}
