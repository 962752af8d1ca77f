import { DEFAULT_BULK_HOST } from './constants.js'

const WILDCARD = new Set(['0.0.0.0', '::'])

function hostOf (addr: string, protos: string[]): string | undefined {
  const parts = addr.split('/')
  return parts.length >= 3 && protos.includes(parts[1] ?? '') ? parts[2] : undefined
}

/**
 * Where a node's bulk server listens and which host it announces, derived
 * from its libp2p addresses so both planes sit on the same interface: it
 * listens on the host of the first `/ip4` or `/ip6` listen address, and
 * announces the host of the first announce address (with its own port) when
 * there is one, which is how a node listening on a wildcard is reached.
 */
export function bulkHosts (listen: readonly string[], announce: readonly string[] = []): { host: string, announceHost?: string } {
  const host = listen.map(a => hostOf(a, ['ip4', 'ip6'])).find(h => h != null) ?? DEFAULT_BULK_HOST
  const announceHost = announce.map(a => hostOf(a, ['ip4', 'ip6', 'dns', 'dns4', 'dns6'])).find(h => h != null && !WILDCARD.has(h))
  return announceHost == null ? { host } : { host, announceHost }
}
