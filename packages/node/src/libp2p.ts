/**
 * The libp2p host of a node: TCP, Noise, yamux, the mesh key as a private
 * network, identify, ping and gossipsub restricted to the membership topic.
 * No bootstrap list and no discovery: membership dials who it learns of.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { toString } from 'uint8arrays/to-string'
import {
  GOSSIP_D, GOSSIP_DHI, GOSSIP_DLAZY, GOSSIP_DLO, YAMUX_MAX_INBOUND_STREAMS, YAMUX_MAX_READ_BUFFER, YAMUX_MAX_STREAM_WINDOW,
  YAMUX_MAX_WRITE_BUFFER
} from './constants.js'
import { MeshProtectionError } from './errors.js'
import { gossipBytesRegister } from './membership/gossip-bytes.js'
import type { GossipBytes } from './membership/gossip-bytes.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

/** The services every weft node runs. */
// a type alias, not an interface: libp2p's ServiceMap needs an implicit index signature
export type WeftServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
}

export interface HostInit {
  privateKey: PrivateKey
  listen: string[]
  announce: string[]
  /** the mesh key file's bytes; undefined only for an explicitly open mesh */
  psk?: Uint8Array
  topic: string
  gossipBytes: GossipBytes
  maxConnections: number
  inboundConnectionThreshold: number
  maxIncomingPendingConnections: number
  dialTimeoutMs: number
}

export async function createHost (init: HostInit): Promise<Libp2p<WeftServices>> {
  const host = await createLibp2p<WeftServices>({
    start: false,
    privateKey: init.privateKey,
    addresses: { listen: init.listen, announce: init.announce },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // Chunk bodies share each connection with gossip and sync. yamux gives every
    // stream its own window, so a bulk transfer cannot block a control stream's
    // flow control; what remains is queueing behind the chunk bytes already on
    // the socket (a few stream windows: milliseconds on a LAN, far below
    // suspectAfter), and chunk streams are capped per connection. The bulk channel
    // (TLS, its own sockets) later moves chunk bytes off these connections.
    streamMuxers: [yamux({
      maxInboundStreams: YAMUX_MAX_INBOUND_STREAMS,
      streamOptions: {
        maxStreamWindowSize: YAMUX_MAX_STREAM_WINDOW,
        maxReadBufferLength: YAMUX_MAX_READ_BUFFER,
        maxWriteBufferLength: YAMUX_MAX_WRITE_BUFFER
      }
    })],
    ...(init.psk != null ? { connectionProtector: preSharedKey({ psk: init.psk }) } : {}),
    connectionManager: {
      maxConnections: init.maxConnections,
      inboundConnectionThreshold: init.inboundConnectionThreshold,
      maxIncomingPendingConnections: init.maxIncomingPendingConnections,
      dialTimeout: init.dialTimeoutMs
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        // a smaller mesh than gossipsub's default (D = 6): membership messages are tiny and
        // frequent, so duplicates and IHAVE lists, not payload, dominate the cost
        D: GOSSIP_D,
        Dlo: GOSSIP_DLO,
        Dhi: GOSSIP_DHI,
        Dout: 1,
        Dscore: 2,
        Dlazy: GOSSIP_DLAZY,
        mcacheGossip: 2,
        emitSelf: false,
        doPX: false,
        fallbackToFloodsub: false,
        // only the membership topic: subscription and cache structures stay bounded
        allowedTopics: [init.topic],
        maxInboundDataLength: 1024 * 1024,
        // members share hosts in tests and small clusters; the mesh key already keeps strangers out
        scoreParams: { IPColocationFactorWeight: 0 },
        // duplicates (each message arrives from several mesh peers) are dropped before their signature is checked
        fastMsgIdFn: (msg) => msg.from != null && msg.seqno != null ? `${toString(msg.from, 'base64')}${toString(msg.seqno, 'base64')}` : '',
        metricsRegister: gossipBytesRegister(init.gossipBytes),
        metricsTopicStrToLabel: new Map([[init.topic, 'members']])
      })
    }
  })
  if (init.psk != null) assertProtected(host)
  return host
}

/**
 * libp2p silently runs an open node when the protector is missing, so check
 * what it actually configured rather than trusting the options.
 */
function assertProtected (host: Libp2p): void {
  const components = (host as unknown as { components?: { connectionProtector?: unknown } }).components
  if (components?.connectionProtector == null) throw new MeshProtectionError('a mesh key was given but libp2p has no connection protector')
}
