/**
 * A lazily filled cache of replica sets for one policy: pages of node indices
 * (index + 1, so 0 means "not computed yet") allocated the first time one of
 * their partitions is looked up, so memory follows the partitions in use and
 * never exceeds r x PARTITION_COUNT x 2 bytes (4 beyond 65,534 nodes).
 */
import { PARTITION_COUNT } from './constants.js'

const PAGE_BITS = 10
const PAGE_SIZE = 1 << PAGE_BITS

export class ReplicaCache {
  private readonly r: number
  private readonly wide: boolean
  private readonly pages: Array<Uint16Array | Uint32Array | undefined>

  constructor (replicas: number, nodeCount: number) {
    this.r = replicas
    this.wide = nodeCount >= 0xffff
    this.pages = new Array<Uint16Array | Uint32Array | undefined>(PARTITION_COUNT >>> PAGE_BITS)
  }

  /** Copies the cached set into `out` and returns true, or returns false when not cached. */
  get (partition: number, out: Int32Array | number[]): boolean {
    const page = this.pages[partition >>> PAGE_BITS]
    if (page == null) return false
    const base = (partition & (PAGE_SIZE - 1)) * this.r
    if (page[base] === 0) return false
    for (let j = 0; j < this.r; j++) out[j] = (page[base + j] as number) - 1
    return true
  }

  set (partition: number, set: Int32Array | number[]): void {
    const at = partition >>> PAGE_BITS
    let page = this.pages[at]
    if (page == null) {
      page = this.wide ? new Uint32Array(PAGE_SIZE * this.r) : new Uint16Array(PAGE_SIZE * this.r)
      this.pages[at] = page
    }
    const base = (partition & (PAGE_SIZE - 1)) * this.r
    for (let j = 0; j < this.r; j++) page[base + j] = (set[j] as number) + 1
  }
}
