/**
 * readerOrder: the order in which a reader tries the replicas of a chunk.
 */
import { zoneSegments } from './zones.js'
import type { ClusterNode } from './types.js'

/** Who is reading. An unknown zone gives no locality preference. */
export interface Reader {
  readonly peerId?: string
  /** the reader's zone path, `region/dc/rack/host` */
  readonly zone?: string
}

/** What the reader has measured of a peer. */
export interface PeerStats {
  /** recent request latency; unknown (absent or not finite) ranks after any known */
  readonly latencyMs?: number
  /** requests in flight to the peer; absent counts as 0 */
  readonly inFlight?: number
}

const SELF = 0
const SAME_HOST = 1
const SAME_ZONE = 2
const ELSEWHERE = 3

/**
 * Orders replicas: the reader itself, then the same host (all four zone
 * segments equal, the host segment known), then the same zone (first two
 * segments equal), then lower latency (known before unknown), then fewer
 * requests in flight; remaining ties keep the replica-set order.
 */
export function readerOrder (replicas: readonly ClusterNode[], reader: Reader, stats?: ReadonlyMap<string, PeerStats>): ClusterNode[] {
  const mine = reader.zone == null || reader.zone === '' ? undefined : zoneSegments(reader.zone)
  const decorated = replicas.map((node, position) => {
    const s = stats?.get(node.peerId)
    const latency = s?.latencyMs
    const inFlight = s?.inFlight
    return {
      node,
      position,
      tier: tierOf(node, reader.peerId, mine),
      latency: typeof latency === 'number' && Number.isFinite(latency) ? latency : Infinity,
      inFlight: typeof inFlight === 'number' && Number.isFinite(inFlight) ? inFlight : 0
    }
  })
  decorated.sort((a, b) =>
    (a.tier - b.tier) ||
    compareNumbers(a.latency, b.latency) ||
    compareNumbers(a.inFlight, b.inFlight) ||
    (a.position - b.position))
  return decorated.map(d => d.node)
}

function tierOf (node: ClusterNode, self: string | undefined, mine: string[] | undefined): number {
  if (self != null && node.peerId === self) return SELF
  if (mine == null) return ELSEWHERE
  const theirs = zoneSegments(node.zone)
  const sameZone = mine[0] === theirs[0] && mine[1] === theirs[1] && (mine[0] !== '' || mine[1] !== '')
  if (!sameZone) return ELSEWHERE
  const sameHost = mine[3] !== '' && mine[2] === theirs[2] && mine[3] === theirs[3]
  return sameHost ? SAME_HOST : SAME_ZONE
}

/** Ascending; Infinity == Infinity is a tie (unknown vs unknown). */
function compareNumbers (a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0
}
