/**
 * What a node runs on top of its libp2p host. createNode lists them in
 * order: they start after libp2p, in that order, and stop in reverse order
 * before libp2p stops. A service added later (refs, repair) is one more entry.
 */
export interface NodeComponent {
  /** for logs */
  readonly name: string
  start(): Promise<void>
  /** idempotent; leaves no timers or open streams */
  stop(): Promise<void>
}
