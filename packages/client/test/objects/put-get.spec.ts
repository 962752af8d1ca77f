import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { ReadableStream } from 'node:stream/web'
import { resolveBucketPolicy } from '@weft/protocol'
import { deleteObject } from '../../src/objects/delete.js'
import { getObject, headObject } from '../../src/objects/get.js'
import { listObjects } from '../../src/objects/list.js'
import { putObject } from '../../src/objects/put.js'
import { collectBytes, toNodeReadable, toWebStream } from '../../src/stream-helpers.js'
import { randomBytes, sleep } from '../reads/memory-chunks.js'
import { memoryMesh } from './memory-mesh.js'
import type { MemoryMesh } from './memory-mesh.js'
import type { PutProgressEvent } from '../../src/objects/types.js'

const CHUNK = 64 * 1024

describe('objects: put, get, head, delete, list over in-memory replicas', () => {
  let m: MemoryMesh

  beforeEach(async () => {
    m = await memoryMesh(4)
  })

  it('round-trips sizes around chunk boundaries byte for byte, each chunk on r replicas', async () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7]) {
      const bytes = randomBytes(size, size + 1)
      const put = await putObject(m.components, 'data', `obj-${size}`, bytes)
      assert.equal(put.size, size)
      assert.equal(put.chunks, Math.ceil(size / CHUNK))
      const got = await collectBytes(getObject(m.components, 'data', `obj-${size}`))
      assert.deepEqual(Buffer.from(got), Buffer.from(bytes), `size ${size}`)
    }
    // every chunk and manifest node is stored exactly twice (r = 2)
    let copies = 0
    for (const id of m.ids) copies += m.store.count(id)
    const distinct = new Set<string>()
    for (const id of m.ids) for (const k of m.store.data.get(id)?.keys() ?? []) distinct.add(k)
    assert.equal(copies, 2 * distinct.size)
  })

  it('range reads across chunk and block boundaries return exactly those bytes and fetch only what they need', async () => {
    m.policies.set('big', resolveBucketPolicy({ chunkSize: 1024 * 1024, replicas: 2 }))
    const bytes = randomBytes(3 * 1024 * 1024 + 12345, 9)
    await putObject(m.components, 'big', 'o', bytes)
    const cases: Array<[number, number | undefined]> = [
      [0, 1], [1024 * 1024 - 10, 20], [300_000, 1_500_000], [3 * 1024 * 1024, undefined], [bytes.length - 1, 100], [0, undefined], [bytes.length, undefined], [5, 0]
    ]
    for (const [offset, length] of cases) {
      const end = length === undefined ? bytes.length : Math.min(bytes.length, offset + length)
      const got = await collectBytes(getObject(m.components, 'big', 'o', { range: { offset, length } }))
      assert.deepEqual(Buffer.from(got), Buffer.from(bytes.subarray(offset, end)), `range ${offset}+${length}`)
    }
    // a 20-byte read across a chunk boundary moves one 256 KiB block of each chunk, not two chunks
    const before = m.components.reader.counts().bytes
    await collectBytes(getObject(m.components, 'big', 'o', { range: { offset: 1024 * 1024 - 10, length: 20 } }))
    assert.equal(m.components.reader.counts().bytes - before, 20)
    await assert.rejects(collectBytes(getObject(m.components, 'big', 'o', { range: { offset: bytes.length + 1 } })), { code: 'ERR_INVALID_RANGE' })
  })

  it('manifests larger than a node become trees and read back whole and by range', async () => {
    m = await memoryMesh(3, { manifestNodeBytes: 1024 })
    m.policies.set('tiny', resolveBucketPolicy({ chunkSize: 1024, replicas: 1 }))
    const bytes = randomBytes(200 * 1024 + 3, 4)
    await putObject(m.components, 'tiny', 'tree', bytes)
    assert.deepEqual(Buffer.from(await collectBytes(getObject(m.components, 'tiny', 'tree'))), Buffer.from(bytes))
    const got = await collectBytes(getObject(m.components, 'tiny', 'tree', { range: { offset: 150_000, length: 5000 } }))
    assert.deepEqual(Buffer.from(got), Buffer.from(bytes.subarray(150_000, 155_000)))
  })

  it('accepts a Node Readable, a web ReadableStream, an async generator and an array of pieces', async () => {
    const bytes = randomBytes(3 * CHUNK + 100, 2)
    const pieces = (): Uint8Array[] => { const out: Uint8Array[] = []; for (let i = 0; i < bytes.length; i += 10_000) out.push(bytes.slice(i, i + 10_000)); return out }
    const sources = {
      node: Readable.from(pieces()),
      web: new ReadableStream<Uint8Array>({ start (c) { for (const p of pieces()) c.enqueue(p); c.close() } }),
      gen: (async function * () { yield * pieces() })(),
      array: pieces()
    }
    for (const [name, source] of Object.entries(sources)) {
      await putObject(m.components, 'data', name, source)
      assert.deepEqual(Buffer.from(await collectBytes(getObject(m.components, 'data', name))), Buffer.from(bytes), name)
    }
    await assert.rejects(putObject(m.components, 'data', 'str', Readable.from(['text'])), TypeError)
    assert.equal(await m.refs.getRef('data', 'str', m.policies.get('data')!), undefined)
  })

  it('gets through a Node Readable and a web ReadableStream', async () => {
    const bytes = randomBytes(2 * CHUNK + 5, 8)
    await putObject(m.components, 'data', 'k', bytes)
    const viaNode: Buffer[] = []
    for await (const b of toNodeReadable(getObject(m.components, 'data', 'k'))) viaNode.push(b as Buffer)
    assert.deepEqual(Buffer.concat(viaNode), Buffer.from(bytes))
    const viaWeb = await collectBytes(toWebStream(getObject(m.components, 'data', 'k')))
    assert.deepEqual(Buffer.from(viaWeb), Buffer.from(bytes))
  })

  it('reports progress up to the object size, then the manifest and the ref', async () => {
    const events: PutProgressEvent[] = []
    const bytes = randomBytes(5 * CHUNK + 1, 1)
    await putObject(m.components, 'data', 'p', bytes, { onProgress: e => events.push(e) })
    const chunks = events.filter(e => e.type === 'put:chunk')
    assert.equal(chunks.length, 6)
    assert.deepEqual(chunks.map(e => e.bytes), [...chunks.map(e => e.bytes)].sort((a, b) => a - b))
    assert.equal(chunks.at(-1)?.bytes, bytes.length)
    assert.deepEqual(events.slice(-2).map(e => e.type), ['put:manifest', 'put:ref'])
  })

  it('head says what put stored; overwrite returns the newest; delete makes it NotFound', async () => {
    await putObject(m.components, 'data', 'k', randomBytes(100, 1), { contentType: 'text/plain', metadata: { owner: 'me' } })
    const h = await headObject(m.components, 'data', 'k')
    assert.equal(h.size, 100)
    assert.equal(h.contentType, 'text/plain')
    assert.deepEqual(h.metadata, { owner: 'me' })
    const newer = randomBytes(CHUNK + 3, 2)
    await putObject(m.components, 'data', 'k', newer)
    assert.deepEqual(Buffer.from(await collectBytes(getObject(m.components, 'data', 'k'))), Buffer.from(newer))
    assert.equal((await headObject(m.components, 'data', 'k')).size, newer.length)
    await deleteObject(m.components, 'data', 'k')
    await assert.rejects(collectBytes(getObject(m.components, 'data', 'k')), { code: 'ERR_NOT_FOUND' })
    await assert.rejects(headObject(m.components, 'data', 'k'), { code: 'ERR_NOT_FOUND' })
    await assert.rejects(headObject(m.components, 'data', 'never'), { code: 'ERR_NOT_FOUND' })
    await deleteObject(m.components, 'data', 'never')
  })

  it('a put that cannot place its chunks fails clearly and writes no ref', async () => {
    m.policies.set('strict', resolveBucketPolicy({ chunkSize: CHUNK, replicas: 2, allowedZones: ['mars'] }))
    await assert.rejects(putObject(m.components, 'strict', 'k', randomBytes(10, 1)), { code: 'ERR_POLICY_UNSATISFIABLE' })
    // two of four replicas refuse every write: r = 3 cannot be met
    m.policies.set('rthree', resolveBucketPolicy({ chunkSize: CHUNK, replicas: 3 }))
    m.store.behaviour.set(m.ids[0]!, { failCode: 'ERR_STORE_FULL' })
    m.store.behaviour.set(m.ids[1]!, { failCode: 'ERR_STORE_FULL' })
    await assert.rejects(putObject(m.components, 'rthree', 'k', randomBytes(3 * CHUNK, 1)), { code: 'ERR_INSUFFICIENT_REPLICAS' })
    assert.equal(m.refs.puts, 0)
  })

  it('a chunk write that failed for a passing reason (a broken stream) is retried', async () => {
    m = await memoryMesh(3)
    m.policies.set('all', resolveBucketPolicy({ chunkSize: CHUNK, replicas: 3 }))
    // with r = 3 on 3 nodes there is nobody to hand off to: only a retry saves the put
    m.store.failNext.set(m.ids[1]!, 'ERR_SESSION_CLOSED')
    const bytes = randomBytes(CHUNK + 1, 3)
    await putObject(m.components, 'all', 'k', bytes)
    assert.deepEqual(Buffer.from(await collectBytes(getObject(m.components, 'all', 'k'))), Buffer.from(bytes))
    assert.ok(m.ids.every(id => m.store.count(id) === 3), 'two chunks and the manifest on every node')
  })

  it('an aborted put stops promptly and writes no ref', async () => {
    const ac = new AbortController()
    async function * slow (): AsyncGenerator<Uint8Array> {
      for (let i = 0; ; i++) {
        yield randomBytes(CHUNK / 2, i + 1)
        await sleep(5)
      }
    }
    const putting = putObject(m.components, 'data', 'aborted', slow(), { signal: ac.signal })
    await sleep(60)
    const reason = new Error('stop')
    ac.abort(reason)
    const at = performance.now()
    await assert.rejects(putting, e => e === reason)
    assert.ok(performance.now() - at < 500)
    assert.equal(m.refs.puts, 0)
  })

  it('an aborted get stops promptly and leaves no request running', async () => {
    const bytes = randomBytes(40 * CHUNK, 5)
    await putObject(m.components, 'data', 'g', bytes)
    for (const id of m.ids) m.store.behaviour.set(id, { delayMs: 100 })
    const ac = new AbortController()
    let got = 0
    const reading = (async () => {
      for await (const b of getObject(m.components, 'data', 'g', { signal: ac.signal })) got += b.byteLength
    })()
    await sleep(150)
    ac.abort(new Error('enough'))
    await assert.rejects(reading, /enough/)
    assert.ok(got < bytes.length)
    await sleep(20)
    assert.equal(m.store.totalActive(), 0)
  })

  it('list pages through every live key in order, with prefix, startAfter and limit', async () => {
    const keys = Array.from({ length: 23 }, (_, i) => `k/${String(i).padStart(3, '0')}`)
    for (const k of keys) await m.refs.putRef({ bucket: 'data', key: k, manifest: 'bafkreiabagqd5cuaceyuk4pqtagfsupmuvu2vkjtgy3ajzzlrfx7kmuvba', size: 1, etag: 'e', version: m.components.clock.now(), deleted: false }, m.policies.get('data')!)
    await m.refs.putRef({ bucket: 'data', key: 'other', manifest: 'bafkreiabagqd5cuaceyuk4pqtagfsupmuvu2vkjtgy3ajzzlrfx7kmuvba', size: 1, etag: 'e', version: m.components.clock.now(), deleted: false }, m.policies.get('data')!)
    await deleteObject(m.components, 'data', 'k/005')
    const all = async (o: Parameters<typeof listObjects>[2]): Promise<string[]> => { const out: string[] = []; for await (const e of listObjects(m.components, 'data', o)) out.push(e.key); return out }
    const live = keys.filter(k => k !== 'k/005')
    assert.deepEqual(await all({ prefix: 'k/', pageSize: 4 }), live)
    assert.deepEqual(await all({ pageSize: 5 }), [...live, 'other'])
    assert.deepEqual(await all({ prefix: 'k/', startAfter: 'k/019', pageSize: 2 }), ['k/020', 'k/021', 'k/022'])
    assert.deepEqual(await all({ prefix: 'k/', limit: 6, pageSize: 4 }), live.slice(0, 6))
  })
})
