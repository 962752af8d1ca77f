import { CHUNK_PROTOCOL, DEFAULT_READ_HIGH_WATER_MARK } from './constants.js'
import { SessionClosedError } from './errors.js'
import { InboundQueue } from './inbound-queue.js'
import type { ByteDuplex } from './duplex.js'
import type { AbortOptions, PeerId, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'

export interface StreamDuplexInit {
  /**
   * Bytes held from the stream before it is paused (the remote then runs out
   * of yamux window and stops sending). Reading resumes below half of it.
   *
   * @default DEFAULT_READ_HIGH_WATER_MARK
   */
  highWaterMark?: number
}

/**
 * Turn a libp2p v3 stream into a ByteDuplex with backpressure both ways:
 * writes wait for 'drain' when `send()` says the buffer is full, and reads
 * pause the stream while more than `highWaterMark` bytes wait to be consumed.
 * (`for await (const b of stream)` would buffer without bound.)
 *
 * The muxer must keep `maxStreamWindowSize <= maxReadBufferLength`, or a
 * paused stream is reset when the window's worth of bytes lands in its buffer.
 */
export function streamToDuplex (stream: Stream, init: StreamDuplexInit = {}): ByteDuplex {
  const inbound: InboundQueue = new InboundQueue({
    highWaterMark: init.highWaterMark ?? DEFAULT_READ_HIGH_WATER_MARK,
    // a pause() made synchronously inside a 'message' handler is undone by
    // the stream; make it right after. Re-check: we may have resumed since.
    pause: () => {
      queueMicrotask(() => {
        if (inbound.paused && stream.readStatus === 'readable') {
          stream.pause()
        }
      })
    },
    resume: () => {
      if (stream.readStatus === 'paused') {
        stream.resume()
      }
    }
  })

  stream.addEventListener('message', (evt: StreamMessageEvent) => {
    const data = evt.data
    if (data instanceof Uint8Array) {
      inbound.push(data)
    } else {
      for (const buf of data) {
        inbound.push(buf)
      }
    }
  })
  stream.addEventListener('end', () => {
    inbound.end()
  })
  stream.addEventListener('close', (evt: StreamCloseEvent) => {
    if (evt.error != null) {
      inbound.fail(evt.error, true)
    } else if (stream.readBufferLength === 0) {
      inbound.end()
    }
  })

  return {
    source: inbound.source(),
    async write (bytes: Uint8Array, options?: AbortOptions): Promise<void> {
      if (inbound.error != null) {
        throw inbound.error
      }
      if (stream.writeStatus !== 'writable') {
        throw new SessionClosedError(`stream is ${stream.writeStatus}`)
      }
      if (!stream.send(bytes)) {
        await drained(stream, options)
      }
    },
    async close (options?: AbortOptions): Promise<void> {
      await stream.close(options)
    },
    abort (err: Error): void {
      stream.abort(err)
    }
  }
}

/**
 * Wait until the stream may be written again. Not `stream.onDrain()`: in
 * @libp2p/utils 7.4 it keeps its first (resolved) promise, so after the first
 * drain it returns at once while the buffer is still full, and a fast writer
 * fills the write buffer until the stream is reset (StreamBufferError).
 */
async function drained (stream: Stream, options?: AbortOptions): Promise<void> {
  while (stream.writableNeedsDrain) {
    options?.signal?.throwIfAborted()
    if (stream.status !== 'open' || stream.writeStatus !== 'writable') {
      throw new SessionClosedError(`stream is ${stream.status}`)
    }
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        stream.removeEventListener('drain', onDrain)
        stream.removeEventListener('close', onClose)
        options?.signal?.removeEventListener('abort', onAbort)
      }
      const onDrain = (): void => {
        done()
        resolve()
      }
      const onClose = (evt: StreamCloseEvent): void => {
        done()
        reject(evt.error ?? new SessionClosedError('stream closed while waiting to write'))
      }
      const onAbort = (): void => {
        done()
        reject(options?.signal?.reason as Error)
      }
      stream.addEventListener('drain', onDrain)
      stream.addEventListener('close', onClose)
      options?.signal?.addEventListener('abort', onAbort)
    })
  }
}

/** The part of a libp2p node a chunk client needs. */
export interface StreamDialer {
  dialProtocol(peer: PeerId, protocols: string | string[], options?: AbortOptions): Promise<Stream>
}

export interface Libp2pTransportInit extends StreamDuplexInit {
  /**
   * @default CHUNK_PROTOCOL
   */
  protocol?: string
}

/** Open chunk sessions over libp2p streams (`/weft/chunk/1`). */
export function libp2pTransport (libp2p: StreamDialer, init: Libp2pTransportInit = {}): (peer: PeerId, options?: AbortOptions) => Promise<ByteDuplex> {
  const protocol = init.protocol ?? CHUNK_PROTOCOL
  return async (peer, options) => {
    const stream = await libp2p.dialProtocol(peer, protocol, options)
    return streamToDuplex(stream, init)
  }
}
