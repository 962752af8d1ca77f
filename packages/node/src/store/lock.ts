/**
 * Serialises async sections per key. The store runs the short "make visible"
 * steps of put, delete and quarantine for one chunk under its key, so a
 * rename, an index write and usage accounting never interleave for one id.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>()

  async run<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    let release: () => void = () => {}
    const mine = new Promise<void>(resolve => { release = resolve })
    const tail = previous.then(async () => mine)
    this.tails.set(key, tail)
    await previous
    try {
      return await fn()
    } finally {
      release()
      if (this.tails.get(key) === tail) {
        this.tails.delete(key)
      }
    }
  }
}
