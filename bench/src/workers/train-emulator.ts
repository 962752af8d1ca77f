import { setTimeout as sleep } from 'node:timers/promises'
import { seededShuffle } from '../harness/random.js'

/**
 * An emulator of MLPerf Storage's training read phase (DLIO), storage
 * agnostic: `read(index)` fetches one sample and answers its byte count.
 *
 * Each of N simulated accelerators loads batches of `batch` samples, then
 * "computes" (sleeps) `computeMs`. Its loader runs up to `prefetch` batches
 * ahead with `readers` reads in flight, so storage that keeps up hides
 * entirely behind the compute. Samples come from a seeded shuffle of the
 * dataset per epoch, each epoch sharded over the accelerators (accelerator r
 * takes positions r, r + N, r + 2N, ...), as DLIO does with `sample_shuffle: seed`.
 *
 * Accelerator utilisation AU = compute time / wall time, from the moment
 * its first batch is ready (nothing can hide the first load) to the end of
 * its last compute; the run's AU is the mean over accelerators (MLPerf's
 * figure), the minimum is kept too.
 */

export interface TrainPlan {
  accelerators: number
  /** samples per batch */
  batch: number
  computeMs: number
  /** reads in flight per accelerator */
  readers: number
  /** batches each accelerator computes (after the first load) */
  batches: number
  /** samples in the dataset */
  samples: number
  seed: number
  /** @default DEFAULT_PREFETCH_BATCHES */
  prefetch?: number
  /** stop starting batches after this long (the run then reports the AU it got) */
  maxSeconds?: number
}

export interface TrainResult {
  accelerators: number
  /** mean AU over accelerators, 0-1 */
  au: number
  minAu: number
  /** wall seconds of the whole run, first load included */
  seconds: number
  samplesRead: number
  bytesRead: number
  /** how long accelerators waited for data after their first batch, summed, ms */
  waitMs: number
  /** true when maxSeconds ended the run early */
  cut: boolean
}

/** PyTorch's default prefetch_factor */
export const DEFAULT_PREFETCH_BATCHES = 2

interface Deferred {
  promise: Promise<void>
  resolve(): void
  reject(err: Error): void
}

function deferred (): Deferred {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

class Accelerator {
  private readonly ready: Deferred[]
  private readonly done: number[]
  private consumed = 0
  private nextPosition = 0
  private readonly wakers: Array<() => void> = []
  bytes = 0
  samples = 0
  failure: Error | undefined

  constructor (private readonly plan: Required<TrainPlan>, private readonly rank: number, private readonly read: (index: number) => Promise<number>, private readonly sampleAt: (globalPosition: number) => number) {
    const total = plan.batches + 1
    this.ready = Array.from({ length: total }, deferred)
    // batches after a failure are never awaited: keep their rejections from surfacing as unhandled
    for (const r of this.ready) r.promise.catch(() => {})
    this.done = new Array<number>(total).fill(0)
  }

  /** The loader: `readers` loops over this accelerator's sample positions, within the prefetch window. */
  async load (): Promise<void> {
    const { batch, readers, prefetch } = this.plan
    const positions = (this.plan.batches + 1) * batch
    await Promise.all(Array.from({ length: readers }, async () => {
      while (this.nextPosition < positions && this.failure == null) {
        const position = this.nextPosition
        const b = Math.floor(position / batch)
        // while batch k computes (consumed = k + 1) the loader may fill k + 1 ... k + prefetch
        if (b >= this.consumed + prefetch) {
          await new Promise<void>(resolve => this.wakers.push(resolve))
          continue
        }
        this.nextPosition++
        const index = this.sampleAt(this.rank + position * this.plan.accelerators)
        try {
          const n = await this.read(index)
          this.bytes += n
        } catch (err) {
          this.failure = err instanceof Error ? err : new Error(String(err))
          for (const r of this.ready) r.reject(this.failure)
          return
        }
        this.samples++
        if (++this.done[b]! === batch) this.ready[b]!.resolve()
      }
    }))
  }

  /** The accelerator: wait for each batch, then compute; answers its AU. */
  async train (deadline: number): Promise<{ au: number, waitMs: number, cut: boolean }> {
    const { computeMs } = this.plan
    await this.ready[0]!.promise
    const start = performance.now()
    let computed = 0
    let waitMs = 0
    let cut = false
    for (let b = 0; b <= this.plan.batches; b++) {
      const w = performance.now()
      await this.ready[b]!.promise
      if (b > 0) waitMs += performance.now() - w
      this.consumed = b + 1
      for (const wake of this.wakers.splice(0)) wake()
      await sleep(computeMs)
      computed += computeMs
      if (performance.now() > deadline && b < this.plan.batches) {
        cut = true
        break
      }
    }
    const wall = performance.now() - start
    this.nextPosition = Infinity
    for (const wake of this.wakers.splice(0)) wake()
    return { au: wall > 0 ? computed / wall : 0, waitMs, cut }
  }
}

export async function emulateTraining (init: TrainPlan, read: (index: number) => Promise<number>): Promise<TrainResult> {
  const plan: Required<TrainPlan> = { prefetch: DEFAULT_PREFETCH_BATCHES, maxSeconds: 0, ...init }
  if (plan.samples < 1 || plan.accelerators < 1 || plan.batch < 1 || plan.readers < 1) throw new RangeError('samples, accelerators, batch and readers must be >= 1')
  const epochs = new Map<number, number[]>()
  const sampleAt = (g: number): number => {
    const epoch = Math.floor(g / plan.samples)
    let order = epochs.get(epoch)
    if (order == null) {
      order = seededShuffle(plan.samples, plan.seed + epoch)
      epochs.set(epoch, order)
    }
    return order[g % plan.samples]!
  }
  const started = performance.now()
  const deadline = plan.maxSeconds > 0 ? started + plan.maxSeconds * 1000 : Infinity
  const accs = Array.from({ length: plan.accelerators }, (_, r) => new Accelerator(plan, r, read, sampleAt))
  const loads = accs.map(async a => { await a.load() })
  // settle everything before answering, so no read of this run overlaps the next command
  const trained = await Promise.allSettled(accs.map(async a => await a.train(deadline)))
  await Promise.allSettled(loads)
  const failed = accs.find(a => a.failure != null)
  if (failed?.failure != null) throw failed.failure
  const runs = trained.map(t => {
    if (t.status === 'rejected') throw t.reason
    return t.value
  })
  const aus = runs.map(r => r.au)
  return {
    accelerators: plan.accelerators,
    au: aus.reduce((s, v) => s + v, 0) / aus.length,
    minAu: Math.min(...aus),
    seconds: (performance.now() - started) / 1000,
    samplesRead: accs.reduce((s, a) => s + a.samples, 0),
    bytesRead: accs.reduce((s, a) => s + a.bytes, 0),
    waitMs: runs.reduce((s, r) => s + r.waitMs, 0),
    cut: runs.some(r => r.cut)
  }
}
