import assert from 'node:assert/strict'
import { readAhead } from '../../src/reads/read-ahead.js'
import { sleep } from './memory-chunks.js'

interface Job { index: number, size: number, delayMs: number }

async function * jobs (list: Job[]): AsyncGenerator<Job> {
  for (const j of list) yield j
}

describe('reads/read-ahead: parallel fetches delivered in order', () => {
  it('delivers in job order although fetches finish out of order, within the byte budget', async () => {
    const list: Job[] = Array.from({ length: 40 }, (_, i) => ({ index: i, size: 100 + (i % 3) * 50, delayMs: (i * 7919) % 23 }))
    let holding = 0
    let maxHolding = 0
    let running = 0
    let maxRunning = 0
    const out: number[] = []
    for await (const part of readAhead(jobs(list), {
      budgetBytes: 500,
      maxJobs: 8,
      cost: j => j.size,
      run: async (j) => {
        running++
        holding += j.size
        maxRunning = Math.max(maxRunning, running)
        maxHolding = Math.max(maxHolding, holding)
        await sleep(j.delayMs)
        running--
        return [new Uint8Array(j.size).fill(j.index)]
      }
    })) {
      out.push(part[0] ?? -1)
      holding -= part.byteLength
    }
    assert.deepEqual(out, list.map(j => j.index))
    assert.ok(maxRunning > 1, 'fetches ran in parallel')
    assert.ok(maxHolding <= 500, `held ${maxHolding} bytes, budget 500`)
  })

  it('starts with two fetches and opens up by one per delivery, up to maxJobs', async () => {
    let running = 0
    const seen: number[] = []
    const list: Job[] = Array.from({ length: 20 }, (_, i) => ({ index: i, size: 1, delayMs: 30 }))
    for await (const _ of readAhead(jobs(list), {
      maxJobs: 6,
      cost: () => 1,
      run: async (j) => {
        running++
        seen.push(running)
        await sleep(j.delayMs)
        running--
        return [new Uint8Array(1)]
      }
    })) {
      // nothing: consume as fast as fetches arrive
    }
    assert.deepEqual(seen.slice(0, 2), [1, 2], 'two at first')
    assert.ok(Math.max(...seen) <= 6)
    assert.ok(Math.max(...seen.slice(-10)) >= 5, `opened up: ${seen.join(',')}`)
  })

  it('one job larger than the budget still runs (alone)', async () => {
    const parts: Uint8Array[] = []
    for await (const p of readAhead(jobs([{ index: 1, size: 1000, delayMs: 0 }, { index: 2, size: 10, delayMs: 0 }]), {
      budgetBytes: 100,
      cost: j => j.size,
      run: async j => [new Uint8Array(j.size).fill(j.index)]
    })) parts.push(p)
    assert.deepEqual(parts.map(p => p.byteLength), [1000, 10])
  })

  it('leaving the loop early cancels running fetches and waits for them', async () => {
    let active = 0
    let cancelled = 0
    const list: Job[] = Array.from({ length: 20 }, (_, i) => ({ index: i, size: 10, delayMs: i === 0 ? 0 : 10_000 }))
    let returned = false
    async function * src (): AsyncGenerator<Job> {
      try {
        yield * jobs(list)
      } finally {
        returned = true
      }
    }
    for await (const _ of readAhead(src(), {
      cost: j => j.size,
      run: async (j, signal) => {
        active++
        try {
          await sleep(j.delayMs, signal)
          return [new Uint8Array(j.size)]
        } catch (err) {
          cancelled++
          throw err
        } finally {
          active--
        }
      }
    })) {
      break
    }
    assert.equal(active, 0, 'no fetch outlives the loop')
    assert.ok(cancelled > 0)
    assert.equal(returned, true, 'the job source was closed')
  })

  it('a failed fetch fails the read when its turn comes; later ones are cancelled', async () => {
    const seen: number[] = []
    let active = 0
    const list: Job[] = [{ index: 0, size: 1, delayMs: 30 }, { index: 1, size: 1, delayMs: 0 }, { index: 2, size: 1, delayMs: 5_000 }]
    await assert.rejects((async () => {
      for await (const p of readAhead(jobs(list), {
        cost: () => 1,
        run: async (j, signal) => {
          active++
          try {
            await sleep(j.delayMs, signal)
            if (j.index === 1) throw new Error('boom')
            return [new Uint8Array([j.index])]
          } finally {
            active--
          }
        }
      })) seen.push(p[0] ?? -1)
    })(), /boom/)
    assert.deepEqual(seen, [0])
    assert.equal(active, 0)
  })

  it('an abort stops the read with the abort reason', async () => {
    const ac = new AbortController()
    const list: Job[] = Array.from({ length: 5 }, (_, i) => ({ index: i, size: 1, delayMs: 10_000 }))
    const reading = (async () => {
      for await (const _ of readAhead(jobs(list), { cost: () => 1, run: async (j, s) => { await sleep(j.delayMs, s); return [] }, signal: ac.signal })) {
        // nothing arrives
      }
    })()
    await sleep(20)
    const reason = new Error('stop')
    ac.abort(reason)
    await assert.rejects(reading, (e) => e === reason)
  })
})
