import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { DirSyncer, GroupCommit } from '../../src/store/group-commit.js'
import { Harness, chunk, chunkFile, collect } from './fixtures.js'

describe('chunk store: group commit', () => {
  const h = new Harness()
  afterEach(async () => { await h.cleanup() })

  it('a lone request commits at once; requests made during a commit share the next one', async () => {
    const commits: number[][] = []
    let release: () => void = () => {}
    const group = new GroupCommit<number>(async ops => {
      commits.push(ops)
      await new Promise<void>(resolve => { release = resolve })
    })
    const first = group.run([1])
    await Promise.resolve()
    assert.deepEqual(commits, [[1]], 'the first request did not wait for company')
    const later = [group.run([2]), group.run([3, 4]), group.run([5])]
    let laterDone = false
    void Promise.all(later).then(() => { laterDone = true })
    release()
    await first
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(laterDone, false, 'requests made during a commit wait for a commit that started after them')
    assert.deepEqual(commits, [[1], [2, 3, 4, 5]])
    release()
    await Promise.all(later)
    assert.equal(group.busy, false)
  })

  it('a failed commit fails every request in it, and the next commit still runs', async () => {
    let fail = true
    let release: () => void = () => {}
    const seen: string[][] = []
    const group = new GroupCommit<string>(async ops => {
      seen.push(ops)
      await new Promise<void>(resolve => { release = resolve })
      if (fail && ops.includes('b')) throw new Error('disk on fire')
    })
    const a = group.run(['a'])
    await Promise.resolve()
    const b = group.run(['b'])
    const c = group.run(['c'])
    release()
    await a
    await new Promise(resolve => setImmediate(resolve))
    release()
    await assert.rejects(b, /disk on fire/)
    await assert.rejects(c, /disk on fire/)
    fail = false
    const d = group.run(['d'])
    await new Promise(resolve => setImmediate(resolve))
    release()
    await d
    assert.deepEqual(seen, [['a'], ['b', 'c'], ['d']])
  })

  it('concurrent fsyncs of one directory share commits and forget the directory when idle', async () => {
    const dir = await h.dir()
    let calls = 0
    const syncer = new DirSyncer(async d => {
      calls++
      const fh = await fs.open(d, 'r')
      try { await fh.sync() } finally { await fh.close() }
    })
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      await fs.writeFile(path.join(dir, `f${i}`), 'x')
      await syncer.sync(dir)
    }))
    assert.ok(calls >= 1 && calls < 20, `20 concurrent syncs of one dir took ${calls} fsyncs`)
    await syncer.sync(path.join(dir, 'missing')).then(() => assert.fail('an fsync of a missing dir must fail'), (err: NodeJS.ErrnoException) => { assert.equal(err.code, 'ENOENT') })
  })

  it('many concurrent puts land durably and survive a reopen (index writes share synced batches)', async () => {
    const dir = await h.dir()
    const store = await h.open({ dir })
    const chunks = await Promise.all(Array.from({ length: 40 }, async (_, i) => chunk(1000 + i)))
    const results = await Promise.all(chunks.map(async c => store.put(c.cid, c.bytes)))
    assert.ok(results.every(r => !r.existed))
    await store.close()
    const again = await h.open({ dir })
    assert.equal(again.usage().chunkCount, 40)
    for (const c of chunks) {
      await fs.access(chunkFile(dir, c.cid))
      assert.deepEqual(await collect(again.get(c.cid)), Buffer.from(c.bytes))
    }
    // deletes share batches too
    assert.deepEqual(await Promise.all(chunks.slice(0, 10).map(async c => again.delete(c.cid))), Array(10).fill(true))
    assert.equal(again.usage().chunkCount, 30)
  })
})
