/**
 * How the node's chunk client reaches a peer. Membership keeps a node
 * connected to a few members only (targetPeers), and libp2p can dial a bare
 * peer id only when its peer store has addresses for it; chain puts and
 * hand-offs go to any member. So a peer we are not connected to is dialled
 * at the addresses its signed record announces.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { ChunkLibp2p } from './chunk/service.js'
import type { WeftServices } from './libp2p.js'
import type { AbortOptions, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Addresses (without /p2p/) a member announces, or undefined for a stranger. */
export type AddrsOf = (peerId: string) => readonly string[] | undefined

export function memberDialer (libp2p: Libp2p<WeftServices>, addrsOf: AddrsOf): ChunkLibp2p {
  return {
    peerId: libp2p.peerId,
    handle: async (protocol, handler, options) => libp2p.handle(protocol, handler, options),
    unhandle: async (protocol, options) => libp2p.unhandle(protocol, options),
    dialProtocol: async (peer: PeerId, protocols: string | string[], options?: AbortOptions): Promise<Stream> => {
      if (libp2p.getConnections(peer).length > 0) {
        return libp2p.dialProtocol(peer, protocols, options)
      }
      const addrs = toDialable(peer, addrsOf(peer.toString()))
      // unknown to membership (a client, say): whatever the peer store knows
      return libp2p.dialProtocol(addrs.length > 0 ? addrs : peer, protocols, options)
    }
  }
}

function toDialable (peer: PeerId, addrs: readonly string[] | undefined): Multiaddr[] {
  const out: Multiaddr[] = []
  for (const a of addrs ?? []) {
    try {
      out.push(multiaddr(`${a}/p2p/${peer.toString()}`))
    } catch {
      // a record's addresses were validated when it was accepted; skip anything odd
    }
  }
  return out
}
