import { SessionClosedError } from '../chunk/errors.js'
import { FrameCopier } from '../chunk/frame.js'
import { InboundQueue } from '../chunk/inbound-queue.js'
import { DEFAULT_BULK_READ_HIGH_WATER_MARK, DEFAULT_BULK_WRITE_HIGH_WATER_MARK } from './constants.js'
import type { LentReads } from './reads.js'
import type { ByteDuplex } from '../chunk/duplex.js'
import type { FrameAllocator } from '../chunk/frame-pool.js'
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
  /**
   * The socket was made with `onread: reads.onread` (or given `reads` by
   * lendReads): its reads arrive there, lent, instead of as 'data' events.
   * They are copied once, cut into whole chunk frames (see FrameCopier), so
   * the stream must carry chunk frames.
   */
  reads?: LentReads
}

/**
 * A socket (a TLS socket of the bulk channel) as a ByteDuplex with
 * backpressure both ways: reads pause the socket while more than
 * `readHighWaterMark` bytes wait, writes wait for 'drain' once more than
 * `writeHighWaterMark` bytes are queued. The socket must allow half-open
 * connections, so a half-close still lets the other side answer.
 *
 * At most two writes are outstanding at once, one being written and one
 * queued behind it (`write` resolves once the write before it is done):
 * node flushes two or more queued writes of a TLS socket as one writev, and
 * TLS copies a writev into a fresh buffer of their total size before
 * encrypting it, a large allocation and copy per flush, where a single
 * write is encrypted straight from the caller's buffer. For the same reason
 * writes are not corked; the session puts a frame's header in front of the
 * start of its payload itself.
 */
export function socketToDuplex (socket: Duplex, init: SocketDuplexInit = {}): ByteDuplex {
  const writeHighWaterMark = init.writeHighWaterMark ?? DEFAULT_BULK_WRITE_HIGH_WATER_MARK
  const inbound = new InboundQueue({
    highWaterMark: init.readHighWaterMark ?? DEFAULT_BULK_READ_HIGH_WATER_MARK,
    pause: () => { socket.pause() },
    resume: () => { socket.resume() }
  })
  /** socket.write() calls whose callback has not come yet */
  let outstanding = 0
  let writers: Array<() => void> = []
  const written = (): void => {
    outstanding--
    const wake = writers
    writers = []
    for (const w of wake) {
      w()
    }
  }

  if (init.head != null && init.head.byteLength > 0) {
    inbound.push(init.head)
  }
  let ended = false
  let copier: FrameCopier | undefined
  if (init.reads == null) {
    socket.on('data', (buf: Uint8Array) => { inbound.push(buf) })
  } else {
    const frames = new FrameCopier()
    const push = (owned: Uint8Array): void => { inbound.push(owned) }
    copier = frames
    // what the socket read before its reads were lent (lendReads) waits in its readable buffer
    const early = socket.readableLength > 0 ? socket.read() as Uint8Array | null : null
    if (early != null) {
      frames.push(early, push)
    }
    init.reads.listen(bytes => {
      if (inbound.error == null) {
        frames.push(bytes, push)
      }
    })
  }
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
    get bufferedBytes (): number {
      return copier?.bufferedBytes ?? 0
    },
    async write (bytes: Uint8Array, options?: AbortOptions): Promise<void> {
      if (inbound.error != null) {
        throw inbound.error
      }
      if (!socket.writable) {
        throw new SessionClosedError('connection is closed for writing')
      }
      outstanding++
      socket.write(bytes, written)
      // return once the write before this one is done: the next write then
      // queues behind this one alone
      while (outstanding >= MAX_OUTSTANDING_WRITES) {
        await writeDone(socket, options, wake => { writers.push(wake) })
      }
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
      socket.destroy()
    },
    useFrameAllocator (allocate: FrameAllocator): void {
      if (copier != null) copier.allocator = allocate
    }
  }
}

/** One write being written and one queued: a third would make node flush the two queued as a writev. */
const MAX_OUTSTANDING_WRITES = 2

/** Wait for a write callback (set through `register`); rejects when the socket closes first or the signal aborts. */
async function writeDone (socket: Duplex, options: AbortOptions | undefined, register: (wake: () => void) => void): Promise<void> {
  options?.signal?.throwIfAborted()
  if (socket.destroyed) {
    throw new SessionClosedError('connection closed while waiting to write')
  }
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      socket.off('close', onClose)
      options?.signal?.removeEventListener('abort', onAbort)
    }
    const onClose = (): void => {
      done()
      reject(new SessionClosedError('connection closed while waiting to write'))
    }
    const onAbort = (): void => {
      done()
      reject(options?.signal?.reason as Error)
    }
    register(() => {
      done()
      resolve()
    })
    socket.on('close', onClose)
    options?.signal?.addEventListener('abort', onAbort)
  })
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
