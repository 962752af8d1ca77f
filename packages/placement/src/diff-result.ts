/**
 * The storage behind a MapDiff: changes in growable typed arrays, turned into
 * small objects that read them on access, so a plan that moves most of 4M
 * partitions costs one small object per change instead of five.
 */
import type { Cluster } from './cluster.js'
import type { MapDiff, PartitionChange, PeerMovement } from './diff.js'

/** Growable typed storage of changes: partition, bytes, r before and r after node indices. */
export class ChangeStore {
  readonly r: number
  count = 0
  partitions = new Uint32Array(1024)
  bytes = new Float64Array(1024)
  /** before node indices, -1 for "held nothing" */
  before: Int32Array
  after: Int32Array

  constructor (r: number) {
    this.r = r
    this.before = new Int32Array(1024 * r)
    this.after = new Int32Array(1024 * r)
  }

  push (p: number, before: Int32Array | undefined, after: Int32Array, bytes: number): void {
    if (this.count === this.partitions.length) this.grow()
    const i = this.count++
    this.partitions[i] = p
    this.bytes[i] = bytes
    if (before == null) this.before.fill(-1, i * this.r, (i + 1) * this.r)
    else this.before.set(before, i * this.r)
    this.after.set(after, i * this.r)
  }

  private grow (): void {
    const n = this.partitions.length * 2
    const partitions = new Uint32Array(n)
    partitions.set(this.partitions)
    this.partitions = partitions
    const bytes = new Float64Array(n)
    bytes.set(this.bytes)
    this.bytes = bytes
    const before = new Int32Array(n * this.r)
    before.set(this.before)
    this.before = before
    const after = new Int32Array(n * this.r)
    after.set(this.after)
    this.after = after
  }
}

export class Diff implements MapDiff {
  readonly partitionsCompared: number
  readonly peers: ReadonlyMap<string, PeerMovement>
  readonly bytesToCopy: number
  private readonly store: ChangeStore
  private readonly cb: Cluster
  private readonly ca: Cluster
  private list?: PartitionChange[]

  constructor (compared: number, store: ChangeStore, cb: Cluster, ca: Cluster, peers: ReadonlyMap<string, PeerMovement>, bytesToCopy: number) {
    this.partitionsCompared = compared
    this.store = store
    this.cb = cb
    this.ca = ca
    this.peers = peers
    this.bytesToCopy = bytesToCopy
  }

  get changedCount (): number {
    return this.store.count
  }

  get changed (): readonly PartitionChange[] {
    if (this.list == null) {
      const list = new Array<PartitionChange>(this.store.count)
      for (let i = 0; i < list.length; i++) list[i] = new Change(this, i)
      this.list = list
    }
    return this.list
  }

  /** Peer ids of change `i`'s replica set before (`which` = 'before') or after. */
  peerIds (i: number, which: 'before' | 'after'): string[] {
    const { r } = this.store
    const out: string[] = []
    const indices = which === 'before' ? this.store.before : this.store.after
    const cluster = which === 'before' ? this.cb : this.ca
    for (let j = i * r; j < (i + 1) * r; j++) {
      const n = indices[j] as number
      if (n >= 0) out.push(cluster.node(n).peerId)
    }
    return out
  }

  partitionAt (i: number): number {
    return this.store.partitions[i] as number
  }

  bytesAt (i: number): number {
    return this.store.bytes[i] as number
  }
}

/**
 * One changed partition, read from the diff's typed arrays on access: a big
 * rebalance plan costs one small object per change, not five.
 */
class Change implements PartitionChange {
  private readonly diff: Diff
  private readonly i: number

  constructor (diff: Diff, i: number) {
    this.diff = diff
    this.i = i
  }

  get partition (): number { return this.diff.partitionAt(this.i) }
  get bytes (): number { return this.diff.bytesAt(this.i) }
  get before (): string[] { return this.diff.peerIds(this.i, 'before') }
  get after (): string[] { return this.diff.peerIds(this.i, 'after') }

  get gained (): string[] {
    const before = this.before
    return this.after.filter(id => !before.includes(id))
  }

  get lost (): string[] {
    const after = this.after
    return this.before.filter(id => !after.includes(id))
  }

  toJSON (): Omit<PartitionChange, never> {
    return { partition: this.partition, before: this.before, after: this.after, gained: this.gained, lost: this.lost, bytes: this.bytes }
  }
}
