import { TLSSocket } from 'node:tls'
import { DEFAULT_BULK_READ_BUFFER_BYTES } from './constants.js'
import type { Duplex } from 'node:stream'
import type { TLSSocketOptions } from 'node:tls'

/**
 * Most bytes held while nobody listens. The peer is still being checked
 * then (or its hello was just read), and a server has nothing to send
 * before the first request: more than this is a peer to drop.
 */
const MAX_HELD_BYTES = 64 * 1024

/** Takes one read; the bytes are lent (valid only during the call). */
export type LentReadListener = (bytes: Uint8Array) => void

/**
 * The reads of a TLS socket made with node's `onread` option: the socket
 * decrypts into one reused buffer and calls back with each read, where the
 * default path allocates a Buffer per TLS record and emits it through the
 * stream machinery (about twice the receive CPU per byte here, see
 * docs/PERFORMANCE.md). Whoever listens (the hello reader during connect,
 * then the socket duplex) gets views of that buffer and copies what it keeps.
 *
 * A pause takes effect between reads, so a read can still arrive after the
 * listener let go: reads without a listener are copied and held, up to
 * MAX_HELD_BYTES (then `onOverflow` is told), and replayed to the next
 * listener.
 */
export class LentReads {
  readonly buffer: Buffer
  private listener?: LentReadListener
  private held: Uint8Array[] = []
  private heldBytes = 0
  private readonly onOverflow: () => void

  /** `onOverflow` must stop the socket (destroy it): held bytes are dropped from then on. */
  constructor (onOverflow: () => void, size: number = DEFAULT_BULK_READ_BUFFER_BYTES) {
    this.buffer = Buffer.allocUnsafe(size)
    this.onOverflow = onOverflow
  }

  /** The `onread` option for `tls.connect`. */
  get onread (): { buffer: Buffer, callback: (n: number, buf: Buffer) => boolean } {
    return {
      buffer: this.buffer,
      callback: (n: number, buf: Buffer): boolean => {
        this.deliver(buf.subarray(0, n))
        // flow control is the listener's: it pauses the socket itself
        return true
      }
    }
  }

  /** Route the following reads to `listener`, after any held ones; undefined holds them. */
  listen (listener: LentReadListener | undefined): void {
    this.listener = listener
    if (listener == null) {
      return
    }
    const held = this.held
    this.held = []
    this.heldBytes = 0
    for (const bytes of held) {
      listener(bytes)
    }
  }

  /** Give bytes back (a reader took more than it wanted): the next listener gets them first. */
  unread (bytes: Uint8Array): void {
    this.hold(bytes, true)
  }

  private deliver (bytes: Uint8Array): void {
    if (this.listener != null) {
      this.listener(bytes)
    } else {
      this.hold(bytes, false)
    }
  }

  private hold (bytes: Uint8Array, first: boolean): void {
    if (bytes.byteLength === 0 || this.heldBytes < 0) {
      return
    }
    if (this.heldBytes + bytes.byteLength > MAX_HELD_BYTES) {
      this.held = []
      this.heldBytes = -1
      this.onOverflow()
      return
    }
    this.heldBytes += bytes.byteLength
    const copy = Uint8Array.prototype.slice.call(bytes)
    if (first) {
      this.held.unshift(copy)
    } else {
      this.held.push(copy)
    }
  }
}

interface UserBufferSymbols {
  buffer: symbol
  callback: symbol
}

let symbols: UserBufferSymbols | null | undefined

/**
 * The private keys under which a node socket keeps its `onread` buffer and
 * callback, found once on a probe socket made with `onread` (node offers no
 * public way to give one to a socket it wraps, as a TLS server does).
 * Null when this node keeps them otherwise: the caller falls back to 'data'.
 */
function userBufferSymbols (): UserBufferSymbols | null {
  if (symbols !== undefined) {
    return symbols
  }
  symbols = null
  try {
    const buffer = Buffer.alloc(1)
    const callback = (): boolean => true
    const probe = new TLSSocket(undefined as unknown as Duplex, { onread: { buffer, callback } } as unknown as TLSSocketOptions)
    const own = probe as unknown as Record<symbol, unknown>
    const keys = Object.getOwnPropertySymbols(probe)
    const b = keys.find(k => own[k] === buffer)
    const c = keys.find(k => own[k] === callback)
    const handle = (probe as unknown as { _handle?: { useUserBuffer?: unknown } })._handle
    probe.destroy()
    if (b != null && c != null && typeof handle?.useUserBuffer === 'function') {
      symbols = { buffer: b, callback: c }
    }
  } catch {
    // no probe, no lent reads
  }
  return symbols
}

/**
 * Make an established TLS socket that node created around another socket (a
 * server's accepted connection) read into `reads` as `onread` would have:
 * the same reused buffer and callback, set through the socket's own keys.
 * Call it while the socket is paused and before anything consumes it;
 * bytes it had already read stay in its readable buffer (socketToDuplex
 * takes them first). Returns false, changing nothing, when this node does
 * not support it.
 */
export function lendReads (socket: TLSSocket, reads: LentReads): boolean {
  const keys = userBufferSymbols()
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (buf: Uint8Array) => void } })._handle
  if (keys == null || handle?.useUserBuffer == null || socket.destroyed) {
    return false
  }
  const { buffer, callback } = reads.onread
  try {
    handle.useUserBuffer(buffer)
  } catch {
    return false
  }
  const own = socket as unknown as Record<symbol, unknown>
  own[keys.buffer] = buffer
  own[keys.callback] = callback
  return true
}
