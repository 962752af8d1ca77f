import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { generateCertificate, verifyPeerCertificate } from '@libp2p/tls/utils'
import { createLibp2p } from 'libp2p'
export { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, PeerId, PrivateKey, Stream } from '@libp2p/interface'
import type { TLSSocket } from 'node:tls'

/**
 * How the ceiling workers set up each transport (loaded only by the TLS and
 * libp2p workers: the raw TCP ones stay free of the libp2p stack): TLS 1.3 with certificates
 * bound to libp2p peer ids (weft's bulk channel), and libp2p with pnet + Noise
 * + yamux (weft's control plane).
 */

/** Only AES-GCM suites: what the bulk channel negotiates on hardware with AES-NI. */
export const TLS_CIPHERSUITES = 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256'

/**
 * yamux settings for the control plane. The window and the read buffer are
 * equal because a paused stream whose window exceeds its read buffer is reset
 * (StreamBufferError, LIBP2P-NOTES). 4 MiB lets one stream keep ~16 writes of
 * 256 KiB in flight; the write buffer caps what `send()` queues past a false
 * return, which the sender never exceeds by more than one write.
 */
export const YAMUX_MAX_STREAM_WINDOW = 4 * 1024 * 1024
export const YAMUX_MAX_READ_BUFFER = 4 * 1024 * 1024
export const YAMUX_MAX_WRITE_BUFFER = 4 * 1024 * 1024

export interface Identity {
  privateKey: PrivateKey
  peerId: PeerId
  /** PEM certificate and key for node:tls, bound to the peer id */
  cert: string
  key: string
}

export async function createIdentity (): Promise<Identity> {
  const privateKey = await generateKeyPair('Ed25519')
  const { cert, key } = await generateCertificate(privateKey)
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), cert, key }
}

/**
 * Checks that the far end of a TLS socket holds `expected`'s key. This check
 * replaces CA validation, which is why both ends run with
 * `rejectUnauthorized: false`.
 */
export async function verifyTlsPeer (socket: TLSSocket, expected: string | undefined): Promise<PeerId> {
  const cert = socket.getPeerCertificate()
  if (cert?.raw == null) throw new Error('peer sent no certificate')
  return await verifyPeerCertificate(new Uint8Array(cert.raw), expected == null ? undefined : peerIdFromString(expected))
}

export interface BenchLibp2pInit {
  privateKey: PrivateKey
  /** the mesh key in `/key/swarm/psk/1.0.0/` text form */
  psk: Uint8Array
  /** listen on 127.0.0.1, port 0 */
  listen: boolean
}

export async function createBenchLibp2p (init: BenchLibp2pInit): Promise<Libp2p> {
  return await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionProtector: preSharedKey({ psk: init.psk }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      streamOptions: {
        maxStreamWindowSize: YAMUX_MAX_STREAM_WINDOW,
        maxReadBufferLength: YAMUX_MAX_READ_BUFFER,
        maxWriteBufferLength: YAMUX_MAX_WRITE_BUFFER
      }
    })]
  })
}

/** The mesh key travels to workers in this variable, base64 of its text form. */
export const PSK_ENV = 'WEFT_BENCH_PSK'

export function pskFromEnv (): Uint8Array {
  const raw = process.env[PSK_ENV]
  if (raw == null || raw === '') throw new Error(`${PSK_ENV} is not set: a libp2p ceiling without a mesh key would not be weft's configuration`)
  return new Uint8Array(Buffer.from(raw, 'base64'))
}

/**
 * Waits for the stream's next 'drain' event (or rejects when it closes).
 * `stream.onDrain()` is not used: in @libp2p/utils 7.4.1 it creates its
 * promise once, resolves it at the stream's first drain and returns that
 * settled promise on every later call. A sender looping on
 * `send() === false -> await stream.onDrain()` is held back once, then never
 * again, and piles everything into the stream's write buffer (seen here:
 * a 256 MiB send queued in full, then crawled).
 */
export async function streamDrain (stream: Stream): Promise<void> {
  // a drain can be followed at once by a flush that fills the window again
  while (stream.writableNeedsDrain) {
    if (stream.status !== 'open') throw new Error(`stream is ${stream.status}`)
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => { cleanup(); resolve() }
      const onClose = (evt: Event): void => { cleanup(); reject((evt as Event & { error?: Error }).error ?? new Error('stream closed before drain')) }
      const cleanup = (): void => {
        stream.removeEventListener('drain', onDrain)
        stream.removeEventListener('close', onClose)
      }
      stream.addEventListener('drain', onDrain)
      stream.addEventListener('close', onClose)
    })
  }
}
