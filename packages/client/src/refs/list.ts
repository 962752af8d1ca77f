/**
 * A bucket listing merged across nodes. Each node holds the refs of the
 * partitions it replicates, so a bucket's keys are spread over all of them:
 * each node is read page by page in key order (its first `pageSize` keys
 * after its own cursor), and a k-way merge yields every key once, in order,
 * with the newest version seen for it (tombstones included: the caller
 * drops them). Complete as long as no more than `tolerate` nodes fail: an
 * acknowledged ref is on a majority of its replicas.
 */
import { compareKeys, newerRef, recordLocation, wireCodeOf } from '@weft/protocol'
import { LIST_PAGE_RETRIES } from './constants.js'
import { ListIncompleteError } from './errors.js'
import type { ReplicaFailure } from './errors.js'
import type { RecordPage, StoredRecord } from '@weft/protocol'

export interface ListSource {
  readonly peer: string
  /** one page of at most `limit` records with keys after `after`, in key order */
  fetch(after: string | undefined, limit: number): Promise<RecordPage>
}

export interface MergeOptions {
  startAfter?: string
  pageSize: number
  /** nodes that may fail before the listing is incomplete */
  tolerate: number
  signal?: AbortSignal
}

interface Cursor {
  readonly source: ListSource
  page: StoredRecord[]
  pos: number
  more: boolean
  after: string | undefined
  failed: boolean
}

const keyOf = (r: StoredRecord): string => recordLocation(r).key

export async function * mergeListing (sources: readonly ListSource[], options: MergeOptions): AsyncGenerator<StoredRecord> {
  const cursors: Cursor[] = sources.map(source => ({ source, page: [], pos: 0, more: true, after: options.startAfter, failed: false }))
  const failures: ReplicaFailure[] = []

  const fill = async (c: Cursor): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const page = await c.source.fetch(c.after, options.pageSize)
        const last = page.records.at(-1)
        // a node that says "more" must make progress, or the merge would spin
        if (last == null && page.more) throw new Error('empty page that claims more')
        c.page = page.records
        c.pos = 0
        c.more = page.more
        if (last != null) c.after = keyOf(last)
        return
      } catch (err) {
        options.signal?.throwIfAborted()
        if (attempt < LIST_PAGE_RETRIES) continue
        c.failed = true
        c.page = []
        c.pos = 0
        failures.push({ peer: c.source.peer, code: wireCodeOf(err), message: (err as Error).message })
        if (failures.length > options.tolerate) {
          throw new ListIncompleteError(`listing failed on ${failures.length} nodes (at most ${options.tolerate} may fail): ${failures.map(f => `${f.peer.slice(-8)}: ${f.code}`).join(', ')}`, failures)
        }
        return
      }
    }
  }

  for (;;) {
    options.signal?.throwIfAborted()
    await Promise.all(cursors.filter(c => !c.failed && c.pos >= c.page.length && c.more).map(fill))
    let min: string | undefined
    for (const c of cursors) {
      const head = c.page[c.pos]
      if (head == null) continue
      const key = keyOf(head)
      if (min === undefined || compareKeys(key, min) < 0) min = key
    }
    if (min === undefined) return
    let newest: StoredRecord | undefined
    for (const c of cursors) {
      const head = c.page[c.pos]
      if (head == null || keyOf(head) !== min) continue
      newest = newest == null ? head : newerRef(newest, head)
      c.pos++
    }
    if (newest != null) yield newest
  }
}
