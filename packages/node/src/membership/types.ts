import type { NodeRecord, NodeRecordState } from '@weft/protocol'

/**
 * What this node believes about a member's liveness:
 * - `up`: heard from within `suspectAfterMs`
 * - `suspect`: silent for `suspectAfterMs`; still counted as up by placement
 * - `down`: silent for `downAfterMs`; placement does not use it
 * - `out`: silent for `outAfterMs` (or left that long ago); its data is re-replicated
 * - `left`: it announced a graceful stop; placement treats it as down until
 *   `outAfterMs` has passed, so a restart costs no copying
 */
export type Liveness = 'up' | 'suspect' | 'down' | 'out' | 'left'

/** One member as this node sees it. */
export interface Member {
  readonly peerId: string
  /** its latest record (highest seq) */
  readonly record: NodeRecord
  readonly liveness: Liveness
  /** wall-clock ms when this node last heard from it (estimated from ages for members heard of through others) */
  readonly lastSeen: number
  /** wall-clock ms when it entered its current liveness */
  readonly since: number
  /** true for the node itself */
  readonly self: boolean
}

export interface MembershipTimings {
  /**
   * how often a member publishes a heartbeat
   *
   * @default 1000
   */
  heartbeatMs: number
  /**
   * silence after which a member is suspect
   *
   * @default 5000
   */
  suspectAfterMs: number
  /**
   * silence after which a member is down
   *
   * @default 15000
   */
  downAfterMs: number
  /**
   * silence (or time since leaving) after which a member is out
   *
   * @default 600000
   */
  outAfterMs: number
  /**
   * period of anti-entropy syncs with a random connected member
   *
   * @default 10 * heartbeatMs
   */
  antiEntropyMs: number
  /**
   * a member out for this long is forgotten (dropped from the map)
   *
   * @default 86400000 (24 h)
   */
  forgetAfterMs: number
}

/** Record fields the node may change at run time (later: bulk channel, load, drain). */
export interface RecordPatch {
  zone?: string
  bulkAddr?: string
  capacityBytes?: number
  usedBytes?: number
  weight?: number
  /** 'leaving' is reserved to stop() */
  state?: Exclude<NodeRecordState, 'leaving'>
  load?: { inFlight: number, mbps: number }
  full?: boolean
}

export interface MembershipStats {
  /** bytes of gossipsub RPCs received / sent (all topics; only the membership topic is allowed) */
  gossipBytesIn: number
  gossipBytesOut: number
  heartbeatsPublished: number
  recordsPublished: number
  /** gossip messages accepted into the map (records and heartbeats) */
  gossipAccepted: number
  /** gossip messages rejected as invalid (and the forwarder penalised) */
  gossipRejected: number
  /** gossip messages ignored: stale, replayed, over the per-signer budget, map full */
  gossipIgnored: number
  /** of those ignored, how many for the per-signer budget */
  gossipRateLimited: number
  syncsStarted: number
  syncsServed: number
  syncsFailed: number
  /** inbound syncs refused because MAX_CONCURRENT_SYNCS_SERVED were running */
  syncsRefused: number
  /** records received through syncs that failed validation */
  syncRecordsRejected: number
}

export interface MembershipEvents {
  /** a member became live: first heard of, or back from down, out or left */
  'member:joined': CustomEvent<Member>
  /** a member's record changed (new seq) while its liveness did not, or it recovered from suspect */
  'member:updated': CustomEvent<Member>
  'member:suspect': CustomEvent<Member>
  'member:down': CustomEvent<Member>
  'member:out': CustomEvent<Member>
  /** a member announced a graceful stop */
  'member:left': CustomEvent<Member>
}
