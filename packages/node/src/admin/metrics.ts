import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * Every metric a node exports on `/metrics`. One registry per node (tests run
 * several nodes in one process, so nothing goes to prom-client's global one).
 */
export interface NodeMetrics {
  readonly registry: Registry
  readonly capacityBytes: Gauge
  readonly usedBytes: Gauge
  readonly chunks: Gauge
  /** chunk protocol requests served, by operation and outcome code */
  readonly requests: Counter<'op' | 'status'>
  readonly requestSeconds: Histogram<'op'>
  readonly bytesIn: Counter<'op'>
  readonly bytesOut: Counter<'op'>
  readonly members: Gauge<'state'>
  readonly corruptions: Counter
  /** background work (repair, rebalance, scrub, gc) waiting, by kind */
  readonly backgroundPending: Gauge<'kind'>
  /** bytes the waiting background copies still have to send, by kind */
  readonly backgroundPendingBytes: Gauge<'kind'>
  readonly backgroundBytes: Counter<'kind'>
  /** garbage-collection sweeps, by outcome (done, skipped, failed) */
  readonly gcRuns: Counter<'outcome'>
  /** sweeps that stopped without deleting (more), by reason */
  readonly gcSkipped: Counter<'reason'>
  readonly gcDeletedChunks: Counter
  readonly gcFreedBytes: Counter
  readonly gcTombstones: Counter
  /** objects this node's last audit found lost */
  readonly lostObjects: Gauge
}

export interface NodeMetricsInit {
  /** also export process metrics (RSS, CPU, event loop lag); @default true */
  processMetrics?: boolean
  /** constant labels on every series, e.g. `{ peer: '12D3...' }` */
  labels?: Record<string, string>
}

export function createNodeMetrics (init: NodeMetricsInit = {}): NodeMetrics {
  const registry = new Registry()
  if (init.labels != null) registry.setDefaultLabels(init.labels)
  if (init.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'weft_' })
  const registers = [registry]
  return {
    registry,
    capacityBytes: new Gauge({ name: 'weft_capacity_bytes', help: 'Capacity this node offers to the mesh', registers }),
    usedBytes: new Gauge({ name: 'weft_used_bytes', help: 'Bytes of chunks stored on this node', registers }),
    chunks: new Gauge({ name: 'weft_chunks', help: 'Chunks stored on this node', registers }),
    requests: new Counter({ name: 'weft_requests_total', help: 'Chunk protocol requests served, by operation and outcome', labelNames: ['op', 'status'], registers }),
    requestSeconds: new Histogram({
      name: 'weft_request_seconds',
      help: 'Time to serve a chunk protocol request, by operation',
      labelNames: ['op'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers
    }),
    bytesIn: new Counter({ name: 'weft_bytes_in_total', help: 'Payload bytes received, by operation', labelNames: ['op'], registers }),
    bytesOut: new Counter({ name: 'weft_bytes_out_total', help: 'Payload bytes sent, by operation', labelNames: ['op'], registers }),
    members: new Gauge({ name: 'weft_members', help: 'Mesh members by liveness state, as this node sees them', labelNames: ['state'], registers }),
    corruptions: new Counter({ name: 'weft_corruptions_total', help: 'Stored chunks found corrupt (on read or scrub)', registers }),
    backgroundPending: new Gauge({ name: 'weft_background_pending', help: 'Background work waiting, by kind', labelNames: ['kind'], registers }),
    backgroundPendingBytes: new Gauge({ name: 'weft_background_pending_bytes', help: 'Bytes background copies waiting to run still have to send, by kind', labelNames: ['kind'], registers }),
    backgroundBytes: new Counter({ name: 'weft_background_bytes_total', help: 'Bytes moved by background work, by kind', labelNames: ['kind'], registers }),
    gcRuns: new Counter({ name: 'weft_gc_runs_total', help: 'Garbage-collection sweeps, by outcome', labelNames: ['outcome'], registers }),
    gcSkipped: new Counter({ name: 'weft_gc_skipped_total', help: 'Garbage-collection sweeps that stopped without deleting, by reason', labelNames: ['reason'], registers }),
    gcDeletedChunks: new Counter({ name: 'weft_gc_deleted_chunks_total', help: 'Unreferenced chunks deleted by garbage collection', registers }),
    gcFreedBytes: new Counter({ name: 'weft_gc_freed_bytes_total', help: 'Bytes freed by garbage collection', registers }),
    gcTombstones: new Counter({ name: 'weft_gc_tombstones_removed_total', help: 'Ref tombstones removed after their grace period', registers }),
    lostObjects: new Gauge({ name: 'weft_lost_objects', help: "Objects whose data is gone, found by this node's audit of its refs", registers })
  }
}
