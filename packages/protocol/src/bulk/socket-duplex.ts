import { SessionClosedError } from '../chunk/errors.js'
import { InboundQueue } from '../chunk/inbound-queue.js'
import { DEFAULT_BULK_READ_HIGH_WATER_MARK, DEFAULT_BULK_WRITE_HIGH_WATER_MARK } from './constants.js'
import type { ByteDuplex } from '../chunk/duplex.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Duplex } from 'node:stream'

export interface SocketDuplexInit {
  /**
   * Bytes read and not yet consumed before the socket is paused (TCP flow
   * control then stops the sender). Reading resumes below half of it.
   *
   * @default DEFAULT_BULK_READ_HIGH_WATER_MARK
   */
  readHighWaterMark?: number
  /**
   * Bytes the socket may hold unsent before `write()` waits for 'drain'.
   *
   * @default DEFAULT_BULK_WRITE_HIGH_WATER_MARK
   */
  writeHighWaterMark?: number
  /** Bytes already read from the socket (after the bulk hello) that belong to the stream */
  head?: Uint8Array
}

/**
 * A socket (a TLS socket of the bulk channel) as a ByteDuplex with
 * backpressure both ways: reads pause the socket while more than
 * `readHighWaterMark` bytes wait, writes wait for 'drain' once more than
 * `writeHighWaterMark` bytes are queued. The socket must allow half-open
 * connections, so a half-close still lets the other side answer.
 *
 * Writes made in the same tick are corked into one: a frame's 16-byte header
 * and its payload leave as one TLS record run and one syscall.
 */
export function socketToDuplex (socket: Duplex, init: SocketDuplexInit = {}): ByteDuplex {
  const writeHighWaterMark = init.writeHighWaterMark ?? DEFAULT_BULK_WRITE_HIGH_WATER_MARK
  const inbound = new InboundQueue({
    highWaterMark: init.readHighWaterMark ?? DEFAULT_BULK_READ_HIGH_WATER_MARK,
    pause: () => { socket.pause() },
    resume: () => { socket.resume() }
  })
  let corked = false

  if (init.head != null && init.head.byteLength > 0) {
    inbound.push(init.head)
  }
  let ended = false
  socket.on('data', (buf: Uint8Array) => { inbound.push(buf) })
  socket.on('end', () => {
    ended = true
    inbound.end()
  })
  socket.on('error', (err: Error) => {
    inbound.fail(err)
  })
  socket.on('close', () => {
    if (!ended) {
      inbound.fail(new SessionClosedError('connection closed'))
    }
  })
  // whoever read before us (the bulk hello) paused the socket: flow again
  socket.resume()

  return {
    source: inbound.source(),
    async write (bytes: Uint8Array, options?: AbortOptions): Promise<void> {
      if (inbound.error != null) {
        throw inbound.error
      }
      if (!socket.writable) {
        throw new SessionClosedError('connection is closed for writing')
      }
      if (!corked) {
        corked = true
        socket.cork()
        process.nextTick(() => {
          if (corked) {
            corked = false
            socket.uncork()
          }
        })
      }
      socket.write(bytes)
      if (socket.writableLength > writeHighWaterMark) {
        await drained(socket, options)
      }
    },
    async close (options?: AbortOptions): Promise<void> {
      if (inbound.error != null || socket.writableEnded) {
        return
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          socket.destroy()
          reject(options?.signal?.reason as Error)
        }
        options?.signal?.addEventListener('abort', onAbort, { once: true })
        socket.end(() => {
          options?.signal?.removeEventListener('abort', onAbort)
          resolve()
        })
      })
    },
    abort (err: Error): void {
      inbound.fail(err, true)
      if (corked) {
        // what was written last (a session's ERROR frame) goes out before the close
        corked = false
        socket.uncork()
      }
      socket.destroy()
    }
  }
}

/** Wait for 'drain'; rejects when the socket closes first or the signal aborts. */
async function drained (socket: Duplex, options?: AbortOptions): Promise<void> {
  options?.signal?.throwIfAborted()
  if (socket.destroyed) {
    throw new SessionClosedError('connection closed while waiting to write')
  }
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      socket.off('drain', onDrain)
      socket.off('close', onClose)
      options?.signal?.removeEventListener('abort', onAbort)
    }
    const onDrain = (): void => {
      done()
      resolve()
    }
    const onClose = (): void => {
      done()
      reject(new SessionClosedError('connection closed while waiting to write'))
    }
    const onAbort = (): void => {
      done()
      reject(options?.signal?.reason as Error)
    }
    socket.on('drain', onDrain)
    socket.on('close', onClose)
    options?.signal?.addEventListener('abort', onAbort)
  })
}
