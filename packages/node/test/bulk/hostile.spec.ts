import assert from 'node:assert/strict'
import { createConnection } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  BulkHelloStatus, FRAME_HEADER_LENGTH, FRAME_MAGIC, FRAME_VERSION, FrameDecoder, FrameFlags, FrameType,
  bulkTransport, createBulkIdentity, createChunkClient, decodeError, encodeFrame, encodeGetRequest
} from '@weft/protocol'
import { bytesOf, cidOf, collect } from '../chunk/hosts.js'
import { rawTlsClient, readHello, startBulkNode, untilClosed, waitFor } from './fixtures.js'
import type { BulkTestNode } from './fixtures.js'
import type { PrivateKey } from '@libp2p/interface'
import type { BulkIdentity, ChunkClient, Frame } from '@weft/protocol'
import type { Socket } from 'node:net'
import type { CID } from 'multiformats/cid'

const INACTIVITY = 1000
const HANDSHAKE = 800

function header (type: number, flags: number, id: number, metaLength: number, payloadLength: number): Uint8Array {
  const buf = new Uint8Array(FRAME_HEADER_LENGTH)
  const view = new DataView(buf.buffer)
  buf[0] = FRAME_MAGIC
  buf[1] = FRAME_VERSION
  buf[2] = type
  buf[3] = flags
  view.setUint32(4, id)
  view.setUint16(8, metaLength)
  view.setUint32(12, payloadLength)
  return buf
}

function sessionError (received: Buffer): string | undefined {
  const frames: Frame[] = new FrameDecoder().push(received)
  const f = frames.find(f => f.type === FrameType.ERROR && f.requestId === 0)
  return f == null ? undefined : decodeError(f.meta).code
}

describe('bulk server against hostile peers', function () {
  this.timeout(60_000)
  let node: BulkTestNode
  let goodKey: PrivateKey
  let hostile: BulkIdentity
  let client: ChunkClient
  let big: { bytes: Uint8Array, cid: CID }
  let serial = 0

  /** A well-behaved peer is still served: a put and a verified get. */
  async function stillServes (): Promise<void> {
    const bytes = bytesOf(300_000, ++serial)
    const cid = await cidOf(bytes)
    assert.deepEqual((await client.put(node.peerId, cid, bytes)).failed, [])
    assert.ok(Buffer.from(await collect(client.get(node.peerId, cid))).equals(bytes))
  }

  /** A verified, allowed peer that speaks raw bytes after the hello. */
  async function rawSession (): Promise<Socket> {
    const socket = await rawTlsClient({ address: node.address, cert: hostile.cert, key: hostile.key })
    assert.equal(await readHello(socket), BulkHelloStatus.READY)
    return socket
  }

  before(async () => {
    node = await startBulkNode({ inactivityTimeout: INACTIVITY, handshakeTimeout: HANDSHAKE })
    goodKey = await generateKeyPair('Ed25519')
    hostile = await createBulkIdentity(await generateKeyPair('Ed25519'))
    client = createChunkClient({ transport: bulkTransport({ privateKey: goodKey, resolve: () => node.address }) })
    const bytes = bytesOf(8 * 1024 * 1024, 77)
    big = { bytes, cid: await cidOf(bytes) }
    await node.store.put(big.cid, bytes)
    await stillServes()
  })

  after(async () => {
    await client?.close()
    await node?.stop()
  })

  afterEach(async () => {
    await stillServes()
  })

  it('answers a 4 GiB frame length with ERR_FRAME_TOO_LARGE and closes', async () => {
    const socket = await rawSession()
    socket.write(header(FrameType.DATA, 0, 1, 0, 0xFFFFFFFF))
    const { received } = await untilClosed(socket)
    assert.equal(sessionError(received), 'ERR_FRAME_TOO_LARGE')
  })

  it('answers garbage after the handshake with ERR_PROTOCOL and closes', async () => {
    const socket = await rawSession()
    // small enough that the server has read all of it when it closes (unread bytes would make the close a reset)
    socket.write(bytesOf(100, 5))
    const { received } = await untilClosed(socket)
    assert.equal(sessionError(received), 'ERR_PROTOCOL')
    assert.ok(received.byteLength < 2048)
  })

  it('cuts a peer that drips a frame a byte at a time', async () => {
    const socket = await rawSession()
    const frame = header(FrameType.STAT, FrameFlags.END, 1, 40, 0)
    let i = 0
    const drip = setInterval(() => {
      if (i < frame.byteLength && !socket.destroyed) {
        socket.write(frame.subarray(i, ++i))
      }
    }, 150)
    const started = Date.now()
    try {
      await untilClosed(socket)
    } finally {
      clearInterval(drip)
    }
    const took = Date.now() - started
    assert.ok(took >= INACTIVITY && took < INACTIVITY * 8, `closed after ${took} ms`)
  })

  it('stops producing for a peer that asks for 64 MiB and reads nothing, then cuts it', async () => {
    const before = node.produced
    const sessions = node.server.stats().sessions
    const socket = await rawSession()
    socket.pause()
    for (let id = 1; id <= 8; id++) {
      socket.write(encodeFrame({ type: FrameType.GET, flags: FrameFlags.END, requestId: id, meta: encodeGetRequest({ cid: big.cid, offset: 0 }), payload: new Uint8Array(0) }))
    }
    await waitFor(() => node.server.stats().sessions === sessions + 1)
    const started = Date.now()
    // the write watchdog resets a peer that does not read for the inactivity timeout
    await waitFor(() => node.server.stats().sessions === sessions, INACTIVITY * 10)
    const produced = node.produced - before
    assert.ok(produced < 32 * 1024 * 1024, `produced ${produced} bytes for a peer that read nothing`)
    assert.ok(Date.now() - started >= INACTIVITY - 100)
    socket.destroy()
  })

  it('closes TCP connections that never start TLS after the handshake timeout', async () => {
    const timedOut = node.server.stats().timedOut
    const socket = createConnection({ ...node.address })
    const started = Date.now()
    const { received } = await untilClosed(socket)
    const took = Date.now() - started
    assert.equal(received.byteLength, 0)
    assert.ok(took >= HANDSHAKE - 50 && took < HANDSHAKE * 6, `closed after ${took} ms`)
    assert.equal(node.server.stats().timedOut, timedOut + 1)
  })

  it('survives a flood of 500 connects without handshakes: bounded memory, other peers served', async () => {
    global.gc?.()
    const rssBefore = process.memoryUsage().rss
    const refusedBefore = node.server.stats().refused
    // the flood comes from another loopback address, as it would from another host
    const flood: Socket[] = []
    const closed: Array<Promise<unknown>> = []
    let maxPending = 0
    const sampler = setInterval(() => { maxPending = Math.max(maxPending, node.server.stats().pending) }, 2)
    for (let i = 0; i < 500; i++) {
      const s = createConnection({ ...node.address, localAddress: '127.0.0.3' })
      s.on('error', () => {})
      closed.push(new Promise(resolve => s.once('close', resolve)))
      flood.push(s)
    }
    // meanwhile a peer already connected keeps being served, and a new one gets in
    const during = Promise.all([stillServes(), (async () => {
      const fresh = createChunkClient({ transport: bulkTransport({ privateKey: await generateKeyPair('Ed25519'), resolve: () => node.address }) })
      try {
        assert.equal((await fresh.stat(node.peerId, big.cid))?.size, big.bytes.byteLength)
      } finally {
        await fresh.close()
      }
    })()])
    await during
    await waitFor(() => node.server.stats().refused - refusedBefore >= 400)
    clearInterval(sampler)
    // 8 from the flooding address, plus the two well-behaved peers' handshakes
    assert.ok(maxPending >= 1 && maxPending <= 8 + 2, `${maxPending} handshakes pending at once`)
    const rssGrowth = process.memoryUsage().rss - rssBefore
    assert.ok(rssGrowth < 96 * 1024 * 1024, `RSS grew by ${rssGrowth} bytes`)
    // the few admitted ones are closed by the handshake timeout
    await Promise.all(closed)
    await waitFor(() => node.server.stats().pending === 0)
    for (const s of flood) {
      s.destroy()
    }
  })
})
