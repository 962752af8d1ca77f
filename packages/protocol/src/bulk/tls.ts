import { createSecureContext } from 'node:tls'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { BULK_ALPN, BULK_CIPHERSUITES } from './constants.js'
import { BulkAuthError, BulkHandshakeError } from './errors.js'
import type { AbortOptions, PeerId, PrivateKey } from '@libp2p/interface'
import type * as TlsUtilsModule from '@libp2p/tls/utils'
import type { SecureContext, TLSSocket } from 'node:tls'

/** This peer's TLS identity: a certificate bound to its libp2p key (the libp2p TLS scheme). */
export interface BulkIdentity {
  peerId: PeerId
  /** PEM certificate: a fresh P-256 key, signed over by the libp2p key in an extension */
  cert: string
  /** PEM private key of the certificate */
  key: string
  /** A TLS 1.3-only context with the certificate, for both client and server sockets */
  context: SecureContext
}

type TlsUtils = typeof TlsUtilsModule
let utils: Promise<TlsUtils> | undefined

/** @libp2p/tls/utils pulls in an X.509 and ASN.1 stack: load it only when the bulk channel is used. */
async function tlsUtils (): Promise<TlsUtils> {
  utils ??= import('@libp2p/tls/utils')
  return utils
}

/** TLS settings both ends share: 1.3 only, the bulk ALPN id, AES-GCM first. */
export const BULK_TLS_OPTIONS = {
  minVersion: 'TLSv1.3',
  maxVersion: 'TLSv1.3',
  // node:tls takes TLS 1.3 suites (TLS_*) in `ciphers`
  ciphers: BULK_CIPHERSUITES,
  ALPNProtocols: [BULK_ALPN]
} as const

/** Make the certificate for `privateKey` (a P-256 key generation and one signature: cache the result). */
export async function createBulkIdentity (privateKey: PrivateKey, options: AbortOptions = {}): Promise<BulkIdentity> {
  const { generateCertificate } = await tlsUtils()
  const { cert, key } = await generateCertificate(privateKey, options)
  const context = createSecureContext({
    cert,
    key,
    minVersion: BULK_TLS_OPTIONS.minVersion,
    maxVersion: BULK_TLS_OPTIONS.maxVersion,
    ciphers: BULK_TLS_OPTIONS.ciphers
  })
  return { peerId: peerIdFromPrivateKey(privateKey), cert, key, context }
}

/**
 * Check the far end of a finished TLS handshake: TLS 1.3, the bulk ALPN id,
 * and a valid libp2p certificate (self-signed, unexpired, its key signed by
 * a libp2p key) for `expected` when given. Returns the peer id it proves.
 *
 * This is the check that replaces CA validation: sockets run with
 * `rejectUnauthorized: false` only because every one goes through here
 * before a byte of it is used.
 */
export async function authenticateBulkPeer (socket: TLSSocket, expected?: PeerId): Promise<PeerId> {
  const protocol = socket.getProtocol()
  if (protocol !== 'TLSv1.3') {
    throw new BulkHandshakeError(`negotiated ${protocol ?? 'no TLS version'}, not TLSv1.3`)
  }
  if (socket.alpnProtocol !== BULK_ALPN) {
    throw new BulkHandshakeError(`the peer did not negotiate ALPN ${BULK_ALPN}`)
  }
  const raw = socket.getPeerCertificate()?.raw
  if (raw == null) {
    throw new BulkAuthError('the peer presented no certificate')
  }
  const { verifyPeerCertificate } = await tlsUtils()
  try {
    return await verifyPeerCertificate(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), expected)
  } catch (err) {
    const name = (err as Error).name
    const why = name === 'UnexpectedPeerError'
      ? `the peer is not ${expected?.toString() ?? 'the expected peer'}`
      : `the peer's certificate is not a valid libp2p certificate: ${(err as Error).message}`
    throw new BulkAuthError(why, undefined, { cause: err })
  }
}
