import assert from 'node:assert/strict'
import { logger } from '@libp2p/logger'
import { chunkCid } from '../../src/model/cid.js'
import { compareVersions } from '../../src/model/hlc.js'
import { RefClientSession } from '../../src/refs/client-session.js'
import { RefFrameType } from '../../src/refs/frame.js'
import { decodeRefGetAnswer, decodeRefPutAnswer, encodeRefGetRequest, encodeRefListRequest } from '../../src/refs/messages.js'
import { encodeStoredRecord, recordLocation } from '../../src/refs/records.js'
import { RefServerSession } from '../../src/refs/server-session.js'
import { duplexPair } from '../chunk/duplex-pair.js'
import type { RefHandler } from '../../src/refs/server-session.js'
import type { StoredRecord } from '../../src/refs/records.js'

const log = logger('weft:test:refs')

/** A replica in memory: newest version wins. */
function memoryHandler (delayMs = 0): RefHandler & { held: Map<string, Uint8Array>, running: number, peak: number } {
  const held = new Map<string, { record: StoredRecord, bytes: Uint8Array }>()
  const h = {
    held: new Map<string, Uint8Array>(),
    running: 0,
    peak: 0,
    put: async (record: StoredRecord, bytes: Uint8Array) => {
      h.running++
      h.peak = Math.max(h.peak, h.running)
      await new Promise(resolve => setTimeout(resolve, delayMs))
      h.running--
      const { bucket, key } = recordLocation(record)
      const id = `${bucket}\0${key}`
      const old = held.get(id)
      if (old != null && compareVersions(old.record.version, record.version) >= 0) return { status: compareVersions(old.record.version, record.version) === 0 ? 'existing' as const : 'older' as const, current: old.record.version }
      held.set(id, { record, bytes })
      h.held.set(id, bytes)
      return { status: 'stored' as const, current: record.version }
    },
    get: async (loc: { bucket: string, key: string }) => held.get(`${loc.bucket}\0${loc.key}`)?.bytes,
    list: async () => { throw Object.assign(new Error('disk on fire'), { code: undefined }) },
    partition: async () => ({ records: [], more: false })
  }
  return h
}

describe('ref sessions (in memory)', () => {
  it('multiplexes requests, answers each by id, and maps errors to typed ones', async () => {
    const [c, s] = duplexPair()
    const handler = memoryHandler(5)
    const server = new RefServerSession(s, { handler, log, maxConcurrentRequests: 4 })
    const client = new RefClientSession(c, { log })
    const records = await Promise.all(Array.from({ length: 20 }, async (_, i) => ({
      bucket: 'photos', key: `k${i}`, manifest: (await chunkCid(Uint8Array.of(i))).toString(), size: 1, etag: 'e', deleted: false,
      version: { wallMs: 1000 + i, counter: 0, writer: 'w' }
    })))
    const answers = await Promise.all(records.map(async r => decodeRefPutAnswer(await client.request(RefFrameType.PUT, encodeStoredRecord(r)))))
    assert.ok(answers.every(a => a.status === 'stored'))
    assert.ok(handler.peak <= 4, `at most 4 at once, saw ${handler.peak}`)
    assert.ok(handler.peak >= 2, 'requests do run concurrently')
    const got = decodeRefGetAnswer(await client.request(RefFrameType.GET, encodeRefGetRequest({ bucket: 'photos', key: 'k3' })))
    assert.deepEqual(got, encodeStoredRecord(records[3]!))
    // an unexpected handler failure says only "internal error" on the wire
    await assert.rejects(client.request(RefFrameType.LIST, encodeRefListRequest({ bucket: 'photos', prefix: '', limit: 10 })), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_INTERNAL')
      assert.doesNotMatch(err.message, /fire/)
      return true
    })
    // a malformed record: typed error, the session goes on
    await assert.rejects(client.request(RefFrameType.PUT, Uint8Array.of(1, 2, 3)), { code: 'ERR_INVALID_REF_RECORD' })
    assert.ok(client.isOpen)
    client.close()
    await client.closed
    await server.closed
  })

  it('a request without an answer times out; a broken session fails everything in flight', async () => {
    const [c, s] = duplexPair()
    let release!: () => void
    const stuck = new Promise<void>(resolve => { release = resolve })
    const handler = { ...memoryHandler(), get: async () => { await stuck; return undefined } }
    const server = new RefServerSession(s, { handler, log })
    const client = new RefClientSession(c, { log, requestTimeout: 200 })
    await assert.rejects(client.request(RefFrameType.GET, encodeRefGetRequest({ bucket: 'photos', key: 'a' })), { code: 'ERR_TIMEOUT' })
    const pending = client.request(RefFrameType.GET, encodeRefGetRequest({ bucket: 'photos', key: 'b' }))
    server.abort(new Error('server gone'))
    await assert.rejects(pending, { code: 'ERR_SESSION_CLOSED' })
    release()
    await client.closed
    assert.equal(client.isOpen, false)
    const ac = new AbortController()
    const [c2, s2] = duplexPair()
    const server2 = new RefServerSession(s2, { handler, log })
    const client2 = new RefClientSession(c2, { log })
    const cancelled = client2.request(RefFrameType.GET, encodeRefGetRequest({ bucket: 'photos', key: 'c' }), { signal: ac.signal })
    ac.abort(new Error('mine'))
    await assert.rejects(cancelled, /mine/)
    server2.abort(new Error('done'))
    await client2.closed
  })
})
