import assert from 'node:assert/strict'
import { ClientSession } from '../../src/chunk/client-session.js'
import { FRAME_HEADER_LENGTH } from '../../src/chunk/constants.js'
import { FrameDecoder, FrameFlags, FrameType, encodeFrame } from '../../src/chunk/frame.js'
import { decodeError, decodePutResult, encodeCidRequest, encodePutRequest } from '../../src/chunk/messages.js'
import { ServerSession } from '../../src/chunk/server-session.js'
import { duplexPair } from './duplex-pair.js'
import { bytesOf, cidOf, collect, makePeer } from './fixtures.js'
import { MemoryHandler } from './memory-handler.js'
import type { ByteDuplex } from '../../src/chunk/duplex.js'
import type { Frame } from '../../src/chunk/frame.js'
import type { ServerSessionInit } from '../../src/chunk/server-session.js'
import type { PeerId } from '@libp2p/interface'

const EMPTY = new Uint8Array(0)

/**
 * Reads frames off a raw end without ever closing its iterator, so a test can
 * read an answer, write more, and read again.
 */
class RawReader {
  private readonly it: AsyncIterator<Uint8Array>
  private readonly decoder = new FrameDecoder()
  private readonly ready: Frame[] = []

  constructor (source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]()
  }

  async read (until: (f: Frame) => boolean): Promise<{ frames: Frame[], error?: Error, ended: boolean }> {
    const frames: Frame[] = []
    try {
      for (;;) {
        const f = this.ready.shift()
        if (f != null) {
          frames.push(f)
          if (until(f)) {
            return { frames, ended: false }
          }
          continue
        }
        const r = await this.it.next()
        if (r.done === true) {
          return { frames, ended: true }
        }
        this.ready.push(...this.decoder.push(r.value))
      }
    } catch (err) {
      return { frames, error: err as Error, ended: true }
    }
  }
}

describe('chunk sessions', function () {
  this.timeout(20_000)
  let self: PeerId
  let cleanup: Array<() => void> = []

  before(async () => {
    self = await makePeer()
  })

  afterEach(() => {
    for (const c of cleanup) {
      c()
    }
    cleanup = []
  })

  function serve (init: Partial<ServerSessionInit> = {}, limit?: number): { raw: ByteDuplex, handler: MemoryHandler, server: ServerSession, done: Promise<void> } {
    const [raw, end] = duplexPair(limit)
    const handler = new MemoryHandler(self)
    const server = new ServerSession(end, { handler, ...init })
    const done = server.run()
    cleanup.push(() => { server.abort(new Error('test over')) })
    return { raw, handler, server, done }
  }

  function connect (init: Partial<ServerSessionInit> = {}, limit?: number): { client: ClientSession, handler: MemoryHandler, server: ServerSession, done: Promise<void> } {
    const { raw, ...rest } = serve(init, limit)
    const client = new ClientSession(raw)
    cleanup.push(() => { client.abort(new Error('test over')) })
    return { client, ...rest }
  }

  it('puts, gets (whole and ranges), has, stats and deletes', async () => {
    const { client, handler } = connect()
    const bytes = bytesOf(1_000_000)
    const cid = await cidOf(bytes)
    const other = await cidOf(bytesOf(10, 2))

    const put = await client.put({ cid, size: bytes.byteLength, forward: [] }, [bytes])
    assert.equal(put.stored.length, 1)
    assert.ok(put.stored[0]!.peer.equals(self))
    assert.equal(put.stored[0]!.existed, false)
    assert.ok(handler.chunks.has(cid.toString()))

    const whole = await client.get({ cid, offset: 0 })
    assert.deepEqual(whole.head, { size: bytes.byteLength, offset: 0, length: bytes.byteLength })
    assert.ok(Buffer.from(await collect(whole.data)).equals(bytes))

    for (const [offset, length] of [[0, 1], [12345, 300_000], [bytes.byteLength - 7, 7], [bytes.byteLength, 0], [500, 0]] as const) {
      const range = await client.get({ cid, offset, length })
      assert.equal(range.head.length, length)
      assert.ok(Buffer.from(await collect(range.data)).equals(bytes.subarray(offset, offset + length)), `range ${offset}+${length}`)
    }
    await assert.rejects(client.get({ cid, offset: 10, length: bytes.byteLength }), { code: 'ERR_INVALID_RANGE' })
    await assert.rejects(client.get({ cid: other, offset: 0 }), { code: 'ERR_CHUNK_NOT_FOUND' })

    assert.deepEqual(await client.has([cid, other, cid]), [true, false, true])
    const stat = await client.stat(cid)
    assert.equal(stat?.size, bytes.byteLength)
    assert.equal(await client.stat(other), undefined)
    assert.equal(await client.delete(cid), true)
    assert.equal(await client.delete(cid), false)
    assert.deepEqual(await client.has([cid]), [false])
  })

  it('carries many concurrent requests on one stream, each answered correctly', async () => {
    const { client, handler } = connect()
    const chunks = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const bytes = bytesOf(1000 + i * 9000, i + 1)
      return { bytes, cid: await cidOf(bytes) }
    }))
    await Promise.all(chunks.map(async ({ bytes, cid }) => client.put({ cid, size: bytes.byteLength, forward: [] }, [bytes])))
    assert.equal(handler.chunks.size, chunks.length)
    const got = await Promise.all(chunks.map(async ({ cid }) => collect((await client.get({ cid, offset: 0 })).data)))
    got.forEach((bytes, i) => { assert.ok(Buffer.from(bytes).equals(chunks[i]!.bytes), `chunk ${i}`) })
  })

  it('answers an existing chunk early, drops the rest of its body, and keeps the stream usable', async () => {
    const { client, handler } = connect()
    const bytes = bytesOf(3 * 1024 * 1024, 5)
    const cid = await cidOf(bytes)
    handler.chunks.set(cid.toString(), bytes)
    let pulled = 0
    async function * slowSource (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.byteLength; i += 65536) {
        pulled += 65536
        yield bytes.subarray(i, i + 65536)
        await new Promise(resolve => setTimeout(resolve, 5))
      }
    }
    const result = await client.put({ cid, size: bytes.byteLength, forward: [] }, slowSource())
    assert.equal(result.stored[0]?.existed, true)
    assert.ok(pulled < bytes.byteLength, `the sender stopped early (pulled ${pulled})`)
    assert.deepEqual(await client.has([cid]), [true])
  })

  it('rebuilds remote errors with their codes and fails a bad hash', async () => {
    const { client } = connect()
    const bytes = bytesOf(1000)
    const cid = await cidOf(bytesOf(1000, 99))
    await assert.rejects(client.put({ cid, size: bytes.byteLength, forward: [] }, [bytes]), { code: 'ERR_HASH_MISMATCH' })
    await assert.rejects(client.put({ cid, size: 10, forward: [] }, [bytes]), { code: 'ERR_SIZE_MISMATCH' })
    assert.deepEqual(await client.has([cid]), [false])
  })

  it('cancels a get whose reader stops early, and the stream stays usable', async () => {
    const { client, handler } = connect()
    const bytes = bytesOf(4 * 1024 * 1024, 3)
    const cid = await cidOf(bytes)
    handler.chunks.set(cid.toString(), bytes)
    const { data } = await client.get({ cid, offset: 0 })
    for await (const _ of data) {
      break
    }
    await waitFor(() => handler.aborted.includes('get'))
    assert.ok(handler.produced < bytes.byteLength, 'the server stopped producing')
    assert.equal(client.inFlight, 0)
    assert.deepEqual(await client.has([cid]), [true])
  })

  it('bounds what a slow reader makes the server produce (backpressure end to end)', async () => {
    const { client, handler } = connect({ bodyBufferBytes: 256 * 1024 }, 128 * 1024)
    const bytes = bytesOf(8 * 1024 * 1024, 4)
    const cid = await cidOf(bytes)
    handler.chunks.set(cid.toString(), bytes)
    const { data } = await client.get({ cid, offset: 0 })
    const it = data[Symbol.asyncIterator]()
    const first = await it.next()
    let consumed = first.done === true ? 0 : first.value.byteLength
    await new Promise(resolve => setTimeout(resolve, 300))
    // client queue (1 MiB default) + in-memory transport (128 KiB) + a frame or two in hand
    const bound = 1024 * 1024 + 128 * 1024 + 3 * 256 * 1024
    assert.ok(handler.produced - consumed <= bound, `produced ${handler.produced}, consumed ${consumed}`)
    assert.ok(handler.produced < bytes.byteLength)
    for (;;) {
      const r = await it.next()
      if (r.done === true) {
        break
      }
      consumed += r.value.byteLength
    }
    assert.equal(consumed, bytes.byteLength)
  })

  it('refuses requests beyond the concurrency limit with ERR_BUSY', async () => {
    const { client, handler } = connect({ maxConcurrentRequests: 2 })
    let open!: () => void
    handler.gate = new Promise(resolve => { open = resolve })
    const cid = await cidOf(bytesOf(1))
    const first = client.has([cid])
    const second = client.has([cid])
    await assert.rejects(client.has([cid]), { code: 'ERR_BUSY' })
    open()
    assert.deepEqual(await Promise.all([first, second]), [[false], [false]])
    assert.deepEqual(await client.has([cid]), [false])
  })

  it('times out a put whose body stops coming, and resets a stream stuck mid-frame', async () => {
    const { raw } = serve({ inactivityTimeout: 200 })
    const reader = new RawReader(raw.source)
    const bytes = bytesOf(1000)
    const cid = await cidOf(bytes)
    await raw.write(encodeFrame({ type: FrameType.PUT, flags: 0, requestId: 1, meta: encodePutRequest({ cid, size: 1000, forward: [] }), payload: bytes.subarray(0, 10) }))
    const answer = await reader.read(f => f.requestId === 1)
    const last = answer.frames.at(-1)
    assert.equal(last?.type, FrameType.ERROR)
    assert.equal(decodeError(last.meta).code, 'ERR_TIMEOUT')

    // half a header, then silence: the whole stream is reset
    const stat = encodeFrame({ type: FrameType.STAT, flags: FrameFlags.END, requestId: 2, meta: encodeCidRequest(cid), payload: EMPTY })
    await raw.write(stat.subarray(0, FRAME_HEADER_LENGTH / 2))
    const started = Date.now()
    const rest = await reader.read(() => false)
    assert.ok(rest.ended)
    assert.ok(rest.error != null, 'the stream was reset')
    assert.ok(Date.now() - started < 5000)
  })

  it('answers garbage with an ERROR on request 0, then resets', async () => {
    const { raw, done } = serve()
    const reader = new RawReader(raw.source)
    await raw.write(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
    const { frames, error } = await reader.read(() => false)
    assert.equal(frames[0]?.requestId, 0)
    assert.equal(frames[0]?.type, FrameType.ERROR)
    assert.equal(decodeError(frames[0].meta).code, 'ERR_PROTOCOL')
    assert.ok(error != null)
    await done
  })

  it('drops DATA for unknown requests but resets on a reused request id', async () => {
    const { raw } = serve()
    const reader = new RawReader(raw.source)
    const cid = await cidOf(bytesOf(100))
    await raw.write(encodeFrame({ type: FrameType.DATA, flags: FrameFlags.END, requestId: 77, meta: EMPTY, payload: bytesOf(100) }))
    const put = encodeFrame({ type: FrameType.PUT, flags: 0, requestId: 5, meta: encodePutRequest({ cid, size: 100, forward: [] }), payload: EMPTY })
    await raw.write(put)
    await raw.write(put)
    const { frames, error } = await reader.read(() => false)
    assert.equal(decodeError(frames[0]!.meta).code, 'ERR_PROTOCOL')
    assert.ok(error != null)
  })

  it('rejects a body longer than its declared size without reading on', async () => {
    const { raw } = serve()
    const reader = new RawReader(raw.source)
    const bytes = bytesOf(100)
    const cid = await cidOf(bytes)
    await raw.write(encodeFrame({ type: FrameType.PUT, flags: 0, requestId: 1, meta: encodePutRequest({ cid, size: 100, forward: [] }), payload: bytes }))
    await raw.write(encodeFrame({ type: FrameType.DATA, flags: FrameFlags.END, requestId: 1, meta: EMPTY, payload: bytes }))
    const { frames } = await reader.read(f => f.requestId === 1)
    assert.equal(decodeError(frames.at(-1)!.meta).code, 'ERR_SIZE_MISMATCH')
    // the session is still fine: a second, honest put works
    await raw.write(encodeFrame({ type: FrameType.PUT, flags: FrameFlags.END, requestId: 2, meta: encodePutRequest({ cid, size: 100, forward: [] }), payload: bytes }))
    const second = await reader.read(f => f.requestId === 2)
    const ok = second.frames.at(-1)!
    assert.equal(ok.type, FrameType.PUT_OK)
    assert.equal(decodePutResult(ok.meta).stored.length, 1)
  })

  it('closes gracefully: answers in flight complete, then both sides end', async () => {
    const { client, handler, done } = connect()
    let open!: () => void
    handler.gate = new Promise(resolve => { open = resolve })
    const cid = await cidOf(bytesOf(1))
    const pending = client.has([cid])
    client.close()
    assert.equal(client.isUsable, false)
    open()
    assert.deepEqual(await pending, [false])
    await done
    await client.closed
  })
})

async function waitFor (check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) {
      throw new Error('condition not met in time')
    }
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
