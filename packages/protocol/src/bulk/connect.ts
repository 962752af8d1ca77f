import { connect } from 'node:tls'
import { BULK_HELLO_LENGTH, DEFAULT_BULK_CONNECT_TIMEOUT } from './constants.js'
import { BulkHandshakeError, BulkRefusedError } from './errors.js'
import { BulkHelloStatus, decodeHello } from './hello.js'
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
  const options: ConnectionOptions & { allowHalfOpen: boolean, localAddress?: string } = {
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
    allowHalfOpen: true
  }
  const socket = connect(options)
  socket.setNoDelay(true)

  let timer: ReturnType<typeof setTimeout> | undefined
  let settled = false
  let fail: (err: Error) => void = () => {}
  const onError = (err: Error): void => {
    fail(new BulkHandshakeError(`bulk connect to ${where} failed: ${err.message}`, undefined, { cause: err }))
  }
  const onClose = (): void => { fail(new BulkHandshakeError(`bulk server ${where} closed the connection during the handshake`)) }
  const onAbort = (): void => { fail(init.signal?.reason as Error) }
  socket.on('error', onError)
  socket.on('close', onClose)
  init.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const head = await new Promise<Uint8Array>((resolve, reject) => {
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
          readHello(socket, rest => {
            settled = true
            resolve(rest)
          }, fail)
        }, fail)
      })
    })
    const duplex = socketToDuplex(socket, { readHighWaterMark: init.readHighWaterMark, writeHighWaterMark: init.writeHighWaterMark, head })
    return { remotePeer: init.expectedPeer, socket, duplex }
  } finally {
    clearTimeout(timer)
    socket.off('error', onError)
    socket.off('close', onClose)
    init.signal?.removeEventListener('abort', onAbort)
  }
}

/** Read the server's 8-byte hello; hands on whatever came after it. */
function readHello (socket: TLSSocket, resolve: (rest: Uint8Array) => void, fail: (err: Error) => void): void {
  const parts: Buffer[] = []
  let got = 0
  const onData = (buf: Buffer): void => {
    parts.push(buf)
    got += buf.byteLength
    if (got < BULK_HELLO_LENGTH) {
      return
    }
    socket.off('data', onData)
    socket.pause()
    const all = Buffer.concat(parts)
    try {
      const status = decodeHello(all.subarray(0, BULK_HELLO_LENGTH))
      if (status !== BulkHelloStatus.READY) {
        fail(new BulkRefusedError(status === BulkHelloStatus.BUSY ? 'the bulk server is busy' : 'the bulk server does not serve this peer'))
        return
      }
    } catch (err) {
      fail(err as Error)
      return
    }
    resolve(all.subarray(BULK_HELLO_LENGTH))
  }
  socket.on('data', onData)
}
