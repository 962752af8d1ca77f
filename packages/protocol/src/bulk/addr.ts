import { isIP, isIPv4, isIPv6 } from 'node:net'

/** Where a peer's bulk server listens. */
export interface BulkAddress {
  host: string
  port: number
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/**
 * The record's `bulkAddr` text form: a multiaddr `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`
 * (what `formatBulkAddr` writes), or `host:port` / `[v6]:port` as an operator
 * would type it. Throws TypeError on anything else.
 */
export function parseBulkAddr (addr: string): BulkAddress {
  let host: string | undefined
  let port: string | undefined
  if (addr.startsWith('/')) {
    const parts = addr.split('/')
    if (parts.length === 5 && parts[3] === 'tcp') {
      const proto = parts[1]
      host = parts[2]
      port = parts[4]
      const ok = (proto === 'ip4' && isIPv4(host ?? '')) || (proto === 'ip6' && isIPv6(host ?? '')) ||
        ((proto === 'dns' || proto === 'dns4' || proto === 'dns6') && HOSTNAME.test(host ?? ''))
      if (!ok) {
        host = undefined
      }
    }
  } else {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d+)$/.exec(addr)
    if (m != null) {
      host = m[1] ?? m[2]
      port = m[3]
      if (host != null && isIP(host) === 0 && !HOSTNAME.test(host)) {
        host = undefined
      }
      if (m[1] != null && !isIPv6(m[1])) {
        host = undefined
      }
    }
  }
  const n = Number(port)
  if (host == null || port == null || !/^\d{1,5}$/.test(port) || n < 1 || n > 65535) {
    throw new TypeError(`"${addr}" is not a bulk address (/ip4/<ip>/tcp/<port> or host:port)`)
  }
  return { host, port: n }
}

/** The multiaddr form of a bulk address, for the node record. */
export function formatBulkAddr (addr: BulkAddress): string {
  const proto = isIPv4(addr.host) ? 'ip4' : isIPv6(addr.host) ? 'ip6' : 'dns'
  return `/${proto}/${addr.host}/tcp/${addr.port}`
}
