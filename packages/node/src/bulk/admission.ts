/**
 * Counts sockets by state and source IP so the bulk server can refuse a new
 * one before any TLS state exists for it. Entries live only while a socket
 * from that IP is open, so the map is bounded by the connection limit.
 */
export interface AdmissionLimits {
  maxConnections: number
  maxPending: number
  maxPerIp: number
  maxPendingPerIp: number
}

interface IpCount {
  open: number
  pending: number
}

export class Admission {
  private readonly limits: AdmissionLimits
  private readonly byIp = new Map<string, IpCount>()
  private total = 0
  private pendingTotal = 0

  constructor (limits: AdmissionLimits) {
    this.limits = limits
  }

  get connections (): number {
    return this.total
  }

  get pending (): number {
    return this.pendingTotal
  }

  /** Count a new socket as pending, or return why it is refused. */
  admit (ip: string): string | undefined {
    const count = this.byIp.get(ip) ?? { open: 0, pending: 0 }
    if (this.total >= this.limits.maxConnections) {
      return 'too many connections'
    }
    if (this.pendingTotal >= this.limits.maxPending) {
      return 'too many handshakes in progress'
    }
    if (count.open >= this.limits.maxPerIp) {
      return `too many connections from ${ip}`
    }
    if (count.pending >= this.limits.maxPendingPerIp) {
      return `too many handshakes from ${ip}`
    }
    count.open++
    count.pending++
    this.total++
    this.pendingTotal++
    this.byIp.set(ip, count)
    return undefined
  }

  /** A pending socket finished its handshake and is serving. */
  established (ip: string): void {
    const count = this.byIp.get(ip)
    if (count != null && count.pending > 0) {
      count.pending--
      this.pendingTotal--
    }
  }

  /** A socket closed; `pending` says whether it never got past its handshake. */
  release (ip: string, pending: boolean): void {
    const count = this.byIp.get(ip)
    if (count == null) {
      return
    }
    count.open--
    this.total--
    if (pending) {
      count.pending--
      this.pendingTotal--
    }
    if (count.open <= 0) {
      this.byIp.delete(ip)
    }
  }
}
