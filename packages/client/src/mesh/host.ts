/**
 * The client's libp2p host: dial-only TCP, Noise, yamux, the mesh key as a
 * private network, identify and gossipsub (subscribed to the members topic
 * only, to follow heartbeats; the client never publishes).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { MeshKeyRequiredError } from '@weft/protocol'
import { createLibp2p } from 'libp2p'
import { toString } from 'uint8arrays/to-string'
import { YAMUX_MAX_READ_BUFFER, YAMUX_MAX_STREAM_WINDOW, YAMUX_MAX_WRITE_BUFFER } from './constants.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

// a type alias, not an interface: libp2p's ServiceMap needs an implicit index signature
export type ClientServices = {
  identify: Identify
  pubsub: GossipSub
}

export interface ClientHostInit {
  privateKey?: PrivateKey
  /** the mesh key file's bytes; undefined only for an explicitly open mesh */
  psk?: Uint8Array
  topic: string
  maxConnections: number
  dialTimeoutMs: number
}

export async function createClientHost (init: ClientHostInit): Promise<Libp2p<ClientServices>> {
  const host = await createLibp2p<ClientServices>({
    ...(init.privateKey != null ? { privateKey: init.privateKey } : {}),
    // dial-only: a client is not a member, nobody needs to reach it
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      streamOptions: {
        maxStreamWindowSize: YAMUX_MAX_STREAM_WINDOW,
        maxReadBufferLength: YAMUX_MAX_READ_BUFFER,
        maxWriteBufferLength: YAMUX_MAX_WRITE_BUFFER
      }
    })],
    ...(init.psk != null ? { connectionProtector: preSharedKey({ psk: init.psk }) } : {}),
    connectionManager: { maxConnections: init.maxConnections, dialTimeout: init.dialTimeoutMs },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        emitSelf: false,
        doPX: false,
        fallbackToFloodsub: false,
        allowedTopics: [init.topic],
        maxInboundDataLength: 1024 * 1024,
        scoreParams: { IPColocationFactorWeight: 0 },
        fastMsgIdFn: (msg) => msg.from != null && msg.seqno != null ? `${toString(msg.from, 'base64')}${toString(msg.seqno, 'base64')}` : ''
      })
    }
  })
  if (init.psk != null) {
    // libp2p silently runs open when the protector is missing: check what it configured
    const components = (host as unknown as { components?: { connectionProtector?: unknown } }).components
    if (components?.connectionProtector == null) {
      await host.stop()
      throw new MeshKeyRequiredError('a mesh key was given but libp2p has no connection protector')
    }
  }
  return host
}
