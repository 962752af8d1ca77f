import { connect } from 'node:tls'
import { BULK_HELLO_LENGTH, DEFAULT_BULK_CONNECT_TIMEOUT } from './constants.js'
import { BulkHandshakeError, BulkRefusedError } from './errors.js'
import { BulkHelloStatus, decodeHello } from './hello.js'
import { LentReads } from './reads.js'
import { socketToDuplex } from './socket-duplex.js'
import { BULK_TLS_OPTIONS, authenticateBulkPeer } from './tls.js'
import type { BulkAddress } from './addr.js'
import type { SocketDuplexInit } from './socket-duplex.js'
import type { BulkIdentity } from './tls.js'
import type { ByteDuplex } from '../chunk/duplex.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { ConnectionOptions, TLSSocket } from 'node:tls'

export interface BulkConnectInit extends AbortOptions, Omit<SocketDuplexInit, 'head'> {
  address: BulkAddress
  /** The peer the server must prove to be; anyone else is refused before a byte is sent */
  expectedPeer: PeerId
  identity: BulkIdentity
  /**
   * Connect, TLS, peer check and hello must finish within this (ms).
   *
   * @default DEFAULT_BULK_CONNECT_TIMEOUT
   */
  timeout?: number
  /** Local address to connect from */
  localAddress?: string
}

export interface BulkConnection {
  remotePeer: PeerId
  duplex: ByteDuplex
  socket: TLSSocket
}

/**
 * Open a bulk channel: TCP, TLS 1.3 with this peer's libp2p certificate,
 * check that the server is `expectedPeer`, then wait for its hello (it has
 * checked us and serves us). Resolves with a ByteDuplex ready for chunk
 * frames; rejects with BulkHandshakeError, BulkAuthError or BulkRefusedError
 * and leaves no socket behind.
 */
export async function connectBulk (init: BulkConnectInit): Promise<BulkConnection> {
  init.signal?.throwIfAborted()
  const timeout = init.timeout ?? DEFAULT_BULK_CONNECT_TIMEOUT
  const where = `${init.address.host}:${init.address.port}`
  let fail: (err: Error) => void = () => {}
  let settled = false
  const reads = new LentReads(() => {
    const err = new BulkHandshakeError(`bulk server ${where} sent data before it was asked`)
    if (settled) {
      socket.destroy(err)
    } else {
      fail(err)
    }
  })
  const options: ConnectionOptions & { allowHalfOpen: boolean, localAddress?: string, onread: LentReads['onread'] } = {
    host: init.address.host,
    port: init.address.port,
    localAddress: init.localAddress,
    secureContext: init.identity.context,
    ...BULK_TLS_OPTIONS,
    ALPNProtocols: [...BULK_TLS_OPTIONS.ALPNProtocols],
    // the peer id check below replaces CA validation and host names
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    // a half-close by the server must not end our side while answers are still due (and vice versa)
    allowHalfOpen: true,
    // decrypt into one reused buffer: no Buffer per TLS record (see LentReads)
    onread: reads.onread
  }
  const socket = connect(options)
  socket.setNoDelay(true)

  let timer: ReturnType<typeof setTimeout> | undefined
  const onError = (err: Error): void => {
    fail(new BulkHandshakeError(`bulk connect to ${where} failed: ${err.message}`, undefined, { cause: err }))
  }
  const onClose = (): void => { fail(new BulkHandshakeError(`bulk server ${where} closed the connection during the handshake`)) }
  const onAbort = (): void => { fail(init.signal?.reason as Error) }
  socket.on('error', onError)
  socket.on('close', onClose)
  init.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await new Promise<void>((resolve, reject) => {
      fail = (err: Error): void => {
        if (settled) {
          return
        }
        settled = true
        socket.destroy()
        reject(err)
      }
      timer = setTimeout(() => { fail(new BulkHandshakeError(`bulk connect to ${where} timed out after ${timeout} ms`)) }, timeout)
      socket.once('secureConnect', () => {
        authenticateBulkPeer(socket, init.expectedPeer).then(() => {
          readHello(socket, reads, () => {
            settled = true
            resolve()
          }, fail)
        }, fail)
      })
    })
    const duplex = socketToDuplex(socket, { readHighWaterMark: init.readHighWaterMark, writeHighWaterMark: init.writeHighWaterMark, reads })
    return { remotePeer: init.expectedPeer, socket, duplex }
  } finally {
    clearTimeout(timer)
    socket.off('error', onError)
    socket.off('close', onClose)
    init.signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * Read the server's 8-byte hello, then pause the socket; whatever came after
 * it is held by `reads` for the session.
 */
function readHello (socket: TLSSocket, reads: LentReads, resolve: () => void, fail: (err: Error) => void): void {
  const hello = new Uint8Array(BULK_HELLO_LENGTH)
  let got = 0
  reads.listen(bytes => {
    const take = Math.min(BULK_HELLO_LENGTH - got, bytes.byteLength)
    hello.set(bytes.subarray(0, take), got)
    got += take
    if (got < BULK_HELLO_LENGTH) {
      return
    }
    socket.pause()
    reads.listen(undefined)
    reads.unread(bytes.subarray(take))
    try {
      const status = decodeHello(hello)
      if (status !== BulkHelloStatus.READY) {
        fail(new BulkRefusedError(status === BulkHelloStatus.BUSY ? 'the bulk server is busy' : 'the bulk server does not serve this peer'))
        return
      }
    } catch (err) {
      fail(err as Error)
      return
    }
    resolve()
  })
  // the socket may have been paused until now (reads only flow while it is resumed)
  socket.resume()
}
