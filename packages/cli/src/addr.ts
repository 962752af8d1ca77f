/** Addresses as the CLI takes and shows them: `host:port` and TCP multiaddrs. */
import { InvalidArgumentError } from 'commander'

export interface HostPort {
  host: string
  port: number
}

/** Parses `--admin`: `127.0.0.1:9301`, `[::1]:9301`, or a bare port (127.0.0.1 implied). */
export function parseHostPort (text: string): HostPort {
  const bare = /^\d+$/.test(text) ? `127.0.0.1:${text}` : text
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(bare)
  const port = Number(match?.[2])
  if (match == null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`"${text}" is not HOST:PORT (e.g. 127.0.0.1:9301)`)
  }
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1')
  return { host, port }
}

/** The TCP host and port of a multiaddr string like `/ip4/1.2.3.4/tcp/4001/p2p/...`. */
export function tcpOf (multiaddr: string): HostPort | undefined {
  const match = /^\/(?:ip4|ip6|dns|dns4|dns6)\/([^/]+)\/tcp\/(\d+)(?:\/|$)/.exec(multiaddr)
  if (match == null) return undefined
  return { host: match[1] ?? '', port: Number(match[2]) }
}

/** The `/p2p/<peer id>` part of a multiaddr, if any. */
export function peerIdOf (multiaddr: string): string | undefined {
  return /\/p2p\/([^/]+)$/.exec(multiaddr)?.[1]
}

export function formatHostPort ({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** Peer ids all start alike (`12D3KooW`); their tail tells them apart. */
export function shortPeer (peerId: string): string {
  return peerId.length <= 10 ? peerId : `…${peerId.slice(-8)}`
}

const LOOPBACK = /^\/(ip4\/127\.|ip6\/::1\/|dns4?\/localhost\/)/

/**
 * The one address to print for others to dial: an announced one if there is
 * one, else the first not on loopback (when listening on every interface),
 * else the first.
 */
export function pickAddress (addrs: string[], announced: string[]): string | undefined {
  if (announced.length > 0) {
    const hit = addrs.find(a => announced.some(b => a.startsWith(b)))
    if (hit != null) return hit
  }
  return addrs.find(a => !LOOPBACK.test(a)) ?? addrs[0]
}
