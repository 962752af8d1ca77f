/**
 * The embeddable client against real nodes on 127.0.0.1: byte-exact round
 * trips, a 200 MiB stream, ranges, overwrite, delete, list across 5 nodes,
 * placement policies, aborts.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { ClientHarness, MiB, hashStream, patternBytes, patternStream, sha256Hex, storedCids, waitFor } from './client-harness.js'
import { chunkCidSync } from '@weft/protocol'
import type { ObjectHead, WeftClient } from '@weft/client'
import type { WeftNode } from '@weft/node'

const CHUNK = 4 * MiB

describe('client objects (3 real nodes, r = 3)', function () {
  this.timeout(120_000)
  const t = new ClientHarness()
  let nodes: WeftNode[]
  let client: WeftClient

  before(async () => {
    nodes = await t.cluster(3)
    client = await t.client(nodes[0]!)
    await client.createBucket('objects')
  })
  after(async () => { await t.teardown() })

  it('round-trips 0, 1, chunk-1, chunk, chunk+1 and 3 chunks+7 bytes exactly', async () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7]) {
      const bytes = patternBytes(size, size + 3)
      const put = await client.put('objects', `size/${size}`, bytes, { contentType: 'application/octet-stream' })
      assert.equal(put.size, size)
      assert.equal(put.chunks, Math.ceil(size / CHUNK))
      const got = await client.get('objects', `size/${size}`).bytes()
      assert.equal(got.byteLength, size)
      assert.equal(sha256Hex(got), sha256Hex(bytes), `size ${size}`)
      const head = await client.head('objects', `size/${size}`)
      assert.equal(head.size, size)
      assert.equal(head.etag, put.etag)
    }
  })

  // r = 1: with every node, the client and r = 3 chains in one process on a
  // shared 2-core box, 600 MiB of replica traffic takes minutes; one copy
  // exercises the same streaming pipeline (the bench streams 2 GiB at r = 3)
  it('reads over the nodes\' TLS bulk channel, or over libp2p only when told to', async () => {
    const bytes = patternBytes(2 * CHUNK + 5, 77)
    await client.put('objects', 'bulk/read', bytes)
    const served = (): number => nodes.reduce((sum, n) => sum + (n.bulk?.stats().served ?? 0), 0)

    const overLibp2p = await t.client(nodes[1]!, { bulk: false })
    const before = served()
    assert.equal(sha256Hex(await overLibp2p.get('objects', 'bulk/read').bytes()), sha256Hex(bytes))
    assert.equal(served(), before, 'a client told not to use the bulk channel never connects to it')

    const overTls = await t.client(nodes[1]!)
    assert.equal(sha256Hex(await overTls.get('objects', 'bulk/read').bytes()), sha256Hex(bytes))
    assert.ok(served() > before, 'the get opened bulk sessions')
  })

  it('reuseBuffers lends each piece until the next: the bytes arrive right, buffers are reused, bytes() keeps its own', async () => {
    const bytes = patternBytes(5 * CHUNK + 9, 31)
    await client.put('objects', 'lent', bytes)
    const lender = await t.client(nodes[2]!)
    // a consumer that only looks at a piece a little later: had its buffer gone back
    // too early, the frames arriving meanwhile would have overwritten it
    const hash = createHash('sha256')
    let received = 0
    for await (const piece of lender.get('objects', 'lent', { reuseBuffers: true })) {
      await new Promise(resolve => setTimeout(resolve, 2))
      hash.update(piece)
      received += piece.byteLength
    }
    assert.equal(received, bytes.byteLength)
    assert.equal(hash.digest('hex'), sha256Hex(bytes))
    assert.ok(lender.readStats().buffersReused > 0, 'later frames arrived in buffers of earlier pieces')

    const reused = lender.readStats().buffersReused
    assert.equal(sha256Hex(await lender.get('objects', 'lent', { reuseBuffers: true }).bytes()), sha256Hex(bytes))
    const range = { offset: CHUNK - 100, length: 2 * CHUNK }
    const ranged = await lender.get('objects', 'lent', { reuseBuffers: true, range }).bytes()
    assert.equal(sha256Hex(ranged), sha256Hex(bytes.subarray(range.offset, range.offset + range.length)))
    assert.equal(lender.readStats().buffersReused, reused, 'bytes() gets pieces of its own')

    // over libp2p there are no frame buffers to lend: the same bytes, nothing reused
    const overLibp2p = await t.client(nodes[2]!, { bulk: false })
    assert.deepEqual(await hashStream(overLibp2p.get('objects', 'lent', { reuseBuffers: true })), { hex: sha256Hex(bytes), bytes: bytes.byteLength })
    assert.equal(overLibp2p.readStats().buffersReused, 0)
  })

  it('a get by manifest reads that version: the one list() named, even after an overwrite', async () => {
    const first = patternBytes(CHUNK + 11, 41)
    const second = patternBytes(300, 42)
    await client.put('objects', 'pinned/a', first)
    const listed: ObjectHead[] = []
    for await (const o of client.list('objects', { prefix: 'pinned/' })) listed.push(o)
    assert.deepEqual(listed.map(o => o.key), ['pinned/a'])
    const manifest = listed[0]!.manifest
    await client.put('objects', 'pinned/a', second)
    assert.equal(sha256Hex(await client.get('objects', 'pinned/a', { manifest }).bytes()), sha256Hex(first))
    assert.equal(sha256Hex(await client.get('objects', 'pinned/a').bytes()), sha256Hex(second))
    const range = await client.get('objects', 'pinned/a', { manifest, range: { offset: CHUNK - 1, length: 5 } }).bytes()
    assert.equal(sha256Hex(range), sha256Hex(first.subarray(CHUNK - 1, CHUNK + 4)))
    await assert.rejects(client.get('objects', 'pinned/a', { manifest: 'not-a-cid' }).bytes(), { code: 'ERR_INVALID_CID' })
    // a well-formed id of bytes never stored: every replica says it has none
    const unknown = chunkCidSync(patternBytes(77, 99)).toString()
    await assert.rejects(client.get('objects', 'pinned/a', { manifest: unknown }).bytes(), { code: 'ERR_NOT_FOUND' })
  })

  it('streams 200 MiB in and out (a Node Readable in, an async iterable out)', async function () {
    this.timeout(240_000)
    await client.createBucket('streamed', { replicas: 1 })
    const size = 200 * MiB
    const source = Readable.from(patternStream(size, MiB, 42))
    const expected = await hashStream(patternStream(size, MiB, 42))
    let progress = 0
    const started = performance.now()
    const put = await client.put('streamed', 'big', source, { onProgress: e => { if (e.type === 'put:chunk') progress = e.bytes } })
    const putMs = performance.now() - started
    assert.equal(put.size, size)
    assert.equal(put.chunks, 50)
    assert.equal(progress, size)
    const read = performance.now()
    const got = await hashStream(client.get('streamed', 'big'))
    const getMs = performance.now() - read
    assert.deepEqual(got, expected)
    console.log(`      200 MiB at r = 1: put ${(putMs / 1000).toFixed(1)} s, get ${(getMs / 1000).toFixed(1)} s (3 nodes and the client in this process)`)
  })

  it('range reads across chunk and block boundaries return exactly those bytes', async () => {
    const bytes = patternBytes(3 * CHUNK + 7, 11)
    await client.put('objects', 'ranges', bytes)
    const before = client.readStats().bytes
    const ranges: Array<[number, number]> = [
      [0, 1], [CHUNK - 5, 10], [CHUNK - 1, CHUNK + 2], [256 * 1024 - 1, 2], [2 * CHUNK + 100_000, CHUNK], [3 * CHUNK, 7], [3 * CHUNK + 6, 100], [0, 3 * CHUNK + 7]
    ]
    let asked = 0
    for (const [offset, length] of ranges) {
      const got = await client.get('objects', 'ranges', { range: { offset, length } }).bytes()
      const want = bytes.subarray(offset, Math.min(bytes.length, offset + length))
      asked += want.length
      assert.equal(sha256Hex(got), sha256Hex(want), `range ${offset}+${length}`)
    }
    // what reached the caller is exactly what was asked for
    assert.equal(client.readStats().bytes - before, asked)
    await assert.rejects(client.get('objects', 'ranges', { range: { offset: 3 * CHUNK + 8 } }).bytes(), { code: 'ERR_INVALID_RANGE' })
  })

  it('an overwrite returns the newest; delete then get is NotFound', async () => {
    await client.put('objects', 'over', patternBytes(1000, 1))
    const second = patternBytes(CHUNK + 10, 2)
    await client.put('objects', 'over', second)
    assert.equal(sha256Hex(await client.get('objects', 'over').bytes()), sha256Hex(second))
    // another client sees the newest too
    const other = await t.client(nodes[2]!)
    assert.equal(sha256Hex(await other.get('objects', 'over').bytes()), sha256Hex(second))
    await other.delete('objects', 'over')
    await assert.rejects(client.get('objects', 'over').bytes(), { code: 'ERR_NOT_FOUND', name: 'NotFoundError' })
    await assert.rejects(client.head('objects', 'over'), { code: 'ERR_NOT_FOUND' })
  })

  it('an aborted put stops promptly, leaks no requests and leaves no ref', async () => {
    const ac = new AbortController()
    let sent = 0
    async function * endless (): AsyncGenerator<Uint8Array> {
      for (let i = 0; ; i++) {
        const piece = patternBytes(MiB, i + 100)
        sent += piece.length
        yield piece
      }
    }
    const putting = client.put('objects', 'aborted', endless(), { signal: ac.signal })
    await waitFor('some bytes sent', () => sent > 12 * MiB)
    const at = performance.now()
    ac.abort(new Error('user cancelled'))
    await assert.rejects(putting, /user cancelled/)
    assert.ok(performance.now() - at < 2000, 'stopped promptly')
    await waitFor('no chunk request left on any node', () => nodes.every(n => n.chunks.stats().activeRequests === 0), 5000)
    await assert.rejects(client.get('objects', 'aborted').bytes(), { code: 'ERR_NOT_FOUND' })
  })

  it('an aborted get stops promptly and leaks no requests', async () => {
    // the 200 MiB object of the streaming test
    const ac = new AbortController()
    let got = 0
    const reading = (async () => {
      for await (const b of client.get('streamed', 'big', { signal: ac.signal })) {
        got += b.byteLength
        if (got >= 8 * MiB) ac.abort(new Error('seen enough'))
      }
    })()
    const at = performance.now()
    await assert.rejects(reading, /seen enough/)
    assert.ok(performance.now() - at < 5000)
    await waitFor('no chunk request left on any node', () => nodes.every(n => n.chunks.stats().activeRequests === 0), 5000)
    // leaving the loop early (break) is the same: nothing keeps running, the next get works normally
    for await (const _ of client.get('streamed', 'big')) break
    await waitFor('no chunk request left after a break', () => nodes.every(n => n.chunks.stats().activeRequests === 0), 5000)
    assert.equal((await client.get('streamed', 'big', { range: { offset: 0, length: 10 } }).bytes()).length, 10)
  })
})

describe('client get by manifest with the ref replicas out of reach (3 real nodes, r = 3)', function () {
  this.timeout(90_000)
  const t = new ClientHarness()
  after(async () => { await t.teardown() })

  it('reads a listed version from the one node left, where a get by key cannot reach a majority', async () => {
    const nodes = await t.cluster(3)
    const writer = await t.client(nodes[0]!)
    await writer.createBucket('pinned', { replicas: 3 })
    const bytes = patternBytes(5000, 7)
    await writer.put('pinned', 'sample', bytes)
    // the bucket's policy stays cached for the whole test: only the object's ref is read by majority
    const reader = await t.client(nodes[0]!, { buckets: { cacheTtlMs: 600_000 } })
    let manifest = ''
    for await (const o of reader.list('pinned')) manifest = o.manifest
    assert.equal(sha256Hex(await reader.get('pinned', 'sample', { manifest }).bytes()), sha256Hex(bytes))

    await Promise.all([nodes[1]!.stop(), nodes[2]!.stop()])
    assert.equal(sha256Hex(await reader.get('pinned', 'sample', { manifest }).bytes()), sha256Hex(bytes))
    await assert.rejects(reader.get('pinned', 'sample').bytes(), { code: 'ERR_QUORUM' })
  })
})

describe('client list across 5 nodes', function () {
  this.timeout(60_000)
  const t = new ClientHarness()
  after(async () => { await t.teardown() })

  it('is complete and ordered, with prefix, startAfter, limit and pagination', async () => {
    const nodes = await t.cluster(5)
    const writer = await t.client(nodes[0]!)
    await writer.createBucket('listing', { replicas: 2, chunkSize: 64 * 1024 })
    const keys: string[] = []
    for (let i = 0; i < 20; i++) keys.push(`a/${String(i).padStart(3, '0')}`)
    for (let i = 0; i < 10; i++) keys.push(`b/${String(i * 7).padStart(3, '0')}`)
    keys.push('c', 'ä-non-ascii', 'a')
    await Promise.all(keys.map(async (k, i) => writer.put('listing', k, patternBytes(10 + i, i))))
    await writer.delete('listing', 'a/007')
    const live = keys.filter(k => k !== 'a/007').sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    // refs live on their partitions' replicas, spread over all five nodes
    const reader = await t.client(nodes[3]!)
    const list = async (o: Parameters<WeftClient['list']>[1]): Promise<string[]> => {
      const out: string[] = []
      for await (const e of reader.list('listing', o)) out.push(e.key)
      return out
    }
    assert.deepEqual(await list({ pageSize: 7 }), live)
    assert.deepEqual(await list({ prefix: 'a/', pageSize: 4 }), live.filter(k => k.startsWith('a/')))
    assert.deepEqual(await list({ prefix: 'b/', startAfter: 'b/035', pageSize: 2 }), live.filter(k => k.startsWith('b/') && k > 'b/035'))
    assert.deepEqual(await list({ limit: 5, pageSize: 2 }), live.slice(0, 5))
    const entries = []
    for await (const e of reader.list('listing', { prefix: 'b/0' })) entries.push(e)
    assert.ok(entries.every(e => e.size >= 10 && e.etag.length > 0 && e.manifest.startsWith('bafkrei')))
  })
})

describe('client policies (real nodes in zones)', function () {
  this.timeout(60_000)
  const t = new ClientHarness()
  after(async () => { await t.teardown() })

  it('allowed zones keep every copy inside them; a policy that cannot be met fails the put clearly', async () => {
    const nodes = await t.cluster(4, ['eu/dc1/r1/h1', 'eu/dc2/r1/h2', 'us/dc1/r1/h3', 'eu/dc3/r1/h4'])
    const [eu1, eu2, us, eu3] = nodes as [WeftNode, WeftNode, WeftNode, WeftNode]
    const client = await t.client(us)
    await client.createBucket('sovereign', { replicas: 2, allowedZones: ['eu'], chunkSize: 256 * 1024 })
    await client.put('sovereign', 'data', patternBytes(3 * MiB + 5, 9))
    assert.equal((await storedCids(us)).size, 0, 'no chunk outside the allowed zones')
    const copies = [eu1, eu2, eu3].map(async n => (await storedCids(n)).size)
    const total = (await Promise.all(copies)).reduce((a, b) => a + b, 0)
    // 13 data chunks and one manifest node, 2 copies each
    assert.equal(total, 2 * 14)
    assert.equal((await client.get('sovereign', 'data').bytes()).length, 3 * MiB + 5)

    // a bucket the mesh cannot honour is refused at creation
    await assert.rejects(client.createBucket('nowhere', { allowedZones: ['ap'] }), { code: 'ERR_POLICY_UNSATISFIABLE' })
    // and a put fails clearly once the mesh can no longer honour an existing bucket's policy
    await client.createBucket('us-only', { replicas: 1, allowedZones: ['us'] })
    await us.stop()
    await waitFor('the client sees the us node down', () => client.mesh.getMap().nodes.find(n => n.peerId === us.peerId)?.state === 'down', 15_000)
    await assert.rejects(client.put('us-only', 'x', patternBytes(10, 1)), (err: Error & { code: string }) => {
      assert.equal(err.code, 'ERR_POLICY_UNSATISFIABLE')
      assert.match(err.message, /us/)
      return true
    })
  })
})
