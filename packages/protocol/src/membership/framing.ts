/**
 * Varint length-prefixed frames over a libp2p v3 stream, with bounded memory:
 * a frame longer than the limit is an error before it is buffered, and the
 * stream is paused while more than a few frames wait to be consumed (a
 * `for await` over the stream would buffer without bound).
 */
import { MalformedMemberMessageError } from './errors.js'
import { peekVarint, varintLength, writeVarint } from './varint.js'
import type { AbortOptions, Stream } from '@libp2p/interface'

export function encodeFrame (payload: Uint8Array): Uint8Array {
  const buf = new Uint8Array(varintLength(payload.byteLength) + payload.byteLength)
  buf.set(payload, writeVarint(payload.byteLength, buf, 0))
  return buf
}

/** Sends bytes, waiting for the stream to drain when its write buffer is full. */
export async function sendFrame (stream: Stream, payload: Uint8Array, options: AbortOptions = {}): Promise<void> {
  if (!stream.send(encodeFrame(payload))) await stream.onDrain(options)
}

export class FrameReader {
  private readonly stream: Stream
  private readonly maxFrameBytes: number
  private readonly highWater: number
  private buffer = new Uint8Array(0)
  private ended = false
  private error?: Error
  private wake?: () => void
  private paused = false
  private readonly onMessage = (evt: { data: { subarray: () => Uint8Array } }): void => {
    const chunk = evt.data.subarray()
    const next = new Uint8Array(this.buffer.byteLength + chunk.byteLength)
    next.set(this.buffer)
    next.set(chunk, this.buffer.byteLength)
    this.buffer = next
    if (this.buffer.byteLength > this.highWater && !this.paused) {
      this.paused = true
      // a pause made synchronously inside a message handler is undone by the dispatcher
      queueMicrotask(() => {
        if (this.stream.readStatus === 'readable') this.stream.pause()
      })
    }
    this.notify()
  }

  private readonly onEnd = (): void => {
    this.ended = true
    this.notify()
  }

  private readonly onClose = (evt: { error?: Error }): void => {
    this.ended = true
    if (evt.error != null) this.error = evt.error
    this.notify()
  }

  constructor (stream: Stream, maxFrameBytes: number) {
    this.stream = stream
    this.maxFrameBytes = maxFrameBytes
    this.highWater = Math.max(64 * 1024, 2 * (maxFrameBytes + 10))
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('end', this.onEnd)
    stream.addEventListener('close', this.onClose)
    if (stream.readableEnded || stream.status !== 'open') this.ended = true
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** The next frame, or undefined at a clean end of stream. */
  async next (options: AbortOptions = {}): Promise<Uint8Array | undefined> {
    while (true) {
      options.signal?.throwIfAborted()
      const frame = this.tryParse()
      if (frame !== undefined) return frame
      if (this.error != null) throw this.error
      if (this.ended) {
        if (this.buffer.byteLength > 0) throw new MalformedMemberMessageError('stream ended inside a frame')
        return undefined
      }
      await new Promise<void>((resolve, reject) => {
        const signal = options.signal
        const onAbort = (): void => { reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted')) }
        this.wake = () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    }
  }

  private tryParse (): Uint8Array | undefined {
    if (this.buffer.byteLength === 0) return undefined
    const prefix = peekVarint(this.buffer, 0)
    if (prefix === undefined) return undefined
    const [length, offset] = prefix
    if (length > this.maxFrameBytes) throw new MalformedMemberMessageError(`frame of ${length} bytes exceeds ${this.maxFrameBytes}`)
    if (this.buffer.byteLength < offset + length) return undefined
    const frame = this.buffer.slice(offset, offset + length)
    this.buffer = this.buffer.subarray(offset + length)
    if (this.paused && this.buffer.byteLength <= this.highWater / 2) {
      this.paused = false
      if (this.stream.readStatus === 'paused') this.stream.resume()
    }
    return frame
  }

  /** Stops listening; unread bytes are dropped. */
  dispose (): void {
    this.stream.removeEventListener('message', this.onMessage)
    this.stream.removeEventListener('end', this.onEnd)
    this.stream.removeEventListener('close', this.onClose)
    this.notify()
  }
}
