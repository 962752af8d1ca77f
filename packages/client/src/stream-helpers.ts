/**
 * Byte streams in and out of the client. A put accepts bytes, a Node
 * Readable, a web ReadableStream or any (async) iterable of Uint8Array; a
 * get is an async iterable of Uint8Array that can be turned into a Node
 * Readable or a web ReadableStream. Destroying or cancelling the returned
 * stream ends the iteration, which cancels the fetches behind it.
 */
import { Readable } from 'node:stream'
import { ReadableStream } from 'node:stream/web'

/** What `put` reads an object from. */
export type ByteSource =
  | Uint8Array
  | NodeJS.ReadableStream
  | ReadableStream<Uint8Array>
  | globalThis.ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>

function isWebStream (s: unknown): s is ReadableStream<Uint8Array> {
  return typeof (s as ReadableStream | null)?.getReader === 'function'
}

function isAsyncIterable (s: unknown): s is AsyncIterable<unknown> {
  return typeof (s as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function'
}

function isIterable (s: unknown): s is Iterable<unknown> {
  return typeof (s as Iterable<unknown> | null)?.[Symbol.iterator] === 'function'
}

function checkPiece (piece: unknown): Uint8Array {
  if (piece instanceof Uint8Array) return piece
  // a Readable with an encoding set yields strings: bytes would be re-encoded silently
  throw new TypeError(`a byte source must yield Uint8Array pieces, got ${typeof piece === 'string' ? 'a string (is an encoding set on the stream?)' : typeof piece}`)
}

/**
 * Any `ByteSource` as an async iterable of Uint8Array. Bytes are passed
 * through as they are (no copies). Leaving the iteration early releases the
 * source: a web stream is cancelled, a Node stream destroyed.
 */
export async function * bytesFrom (source: ByteSource): AsyncGenerator<Uint8Array, void, undefined> {
  if (source instanceof Uint8Array) {
    if (source.byteLength > 0) yield source
    return
  }
  if (isWebStream(source)) {
    const reader = source.getReader()
    let done = false
    try {
      for (;;) {
        const r = await reader.read()
        if (r.done) {
          done = true
          return
        }
        yield checkPiece(r.value)
      }
    } finally {
      if (!done) await reader.cancel().catch(() => {})
      reader.releaseLock()
    }
  }
  if (isAsyncIterable(source)) {
    // Node Readables are async iterable; leaving the loop destroys them
    for await (const piece of source) yield checkPiece(piece)
    return
  }
  if (isIterable(source)) {
    for (const piece of source) yield checkPiece(piece)
    return
  }
  throw new TypeError('put needs a Uint8Array, a Node Readable, a web ReadableStream or an (async) iterable of Uint8Array')
}

/**
 * A Node Readable over the bytes of `source` (e.g. `client.get(...)`), with
 * backpressure: the next piece is pulled only when the reader wants it.
 * Destroying the stream stops the iteration (and its fetches).
 */
export function toNodeReadable (source: AsyncIterable<Uint8Array>): Readable {
  return Readable.from(source, { objectMode: false, highWaterMark: 1 })
}

/**
 * A web ReadableStream over the bytes of `source`, pulled on demand.
 * Cancelling it stops the iteration (and its fetches).
 */
export function toWebStream (source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  let it: AsyncIterator<Uint8Array> | undefined
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      it ??= source[Symbol.asyncIterator]()
      const r = await it.next()
      if (r.done === true) controller.close()
      else controller.enqueue(r.value)
    },
    async cancel () {
      await it?.return?.()
    }
  }, { highWaterMark: 0 })
}

/** All the bytes of `source` in one buffer (for small objects and tests). */
export async function collectBytes (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of source) parts.push(p)
  return parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts)
}

/** The bytes of a get: an async iterable with ways to hand it on. */
export interface ObjectStream extends AsyncIterable<Uint8Array> {
  /** a Node Readable (destroy it to stop the read) */
  toNodeReadable(): Readable
  /** a web ReadableStream (cancel it to stop the read) */
  toWebStream(): ReadableStream<Uint8Array>
  /** every byte in one buffer: for small objects */
  bytes(): Promise<Uint8Array>
}

/** `owned`, when given, feeds the helpers (whose pieces outlive the next one) where `source` lends its pieces. */
export function objectStream (source: AsyncIterable<Uint8Array>, owned: AsyncIterable<Uint8Array> = source): ObjectStream {
  return {
    [Symbol.asyncIterator]: () => source[Symbol.asyncIterator](),
    toNodeReadable: () => toNodeReadable(owned),
    toWebStream: () => toWebStream(owned),
    bytes: async () => collectBytes(owned)
  }
}
