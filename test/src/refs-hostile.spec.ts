import assert from 'node:assert/strict'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import {
  REFS_PROTOCOL, RefFrameDecoder, RefFrameType, chunkCid, decodeRefErrorAnswer, decodeRefGetAnswer, encodeRefFrame,
  encodeRefGetRequest, encodeRefPartitionRequest, encodeStoredRecord, streamToDuplex, tombstone
} from '@weft/protocol'
import { createLibp2p } from 'libp2p'
import { RefsHarness, addr, waitFor } from './refs-helpers.js'
import type { Libp2p } from '@libp2p/interface'
import type { ByteDuplex, RefFrame } from '@weft/protocol'

/** Reads frames until `count` arrived, the stream ended, or `timeoutMs` passed. */
async function readFrames (duplex: ByteDuplex, count: number, timeoutMs = 5000): Promise<{ frames: RefFrame[], ended: boolean }> {
  const decoder = new RefFrameDecoder(2 * 1024 * 1024)
  const frames: RefFrame[] = []
  const it = duplex.source[Symbol.asyncIterator]()
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (frames.length >= count) return { frames, ended: false }
    let timer: ReturnType<typeof setTimeout> | undefined
    const next = await Promise.race([
      it.next().catch(() => ({ done: true as const, value: undefined })),
      new Promise<'timeout'>(resolve => { timer = setTimeout(() => { resolve('timeout') }, Math.max(1, deadline - Date.now())) })
    ])
    clearTimeout(timer)
    if (next === 'timeout') return { frames, ended: false }
    if (next.done === true) return { frames, ended: true }
    decoder.push(next.value)
    frames.push(...decoder.take())
  }
}

function errorOf (frame: RefFrame | undefined): { id: number, code: string } {
  assert.equal(frame?.type, RefFrameType.ERROR)
  return { id: frame.requestId, code: decodeRefErrorAnswer(frame.body).code }
}

describe('refs under hostile input', function () {
  this.timeout(30_000)
  const t = new RefsHarness()
  let evil: Libp2p
  let target: string

  before(async () => {
    const node = await t.node({ refs: { inactivityTimeout: 600, maxSessionsPerPeer: 4 } })
    target = addr(node.node)
    evil = await createLibp2p({
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionProtector: preSharedKey({ psk: new TextEncoder().encode(t.h.meshKey) })
    })
  })
  after(async () => {
    await evil.stop()
    await t.teardown()
  })

  async function open (): Promise<ByteDuplex> {
    return streamToDuplex(await evil.dialProtocol(multiaddr(target), REFS_PROTOCOL))
  }

  /** a session that failed lingers briefly so its error can be read; the next test wants a clean slate */
  async function settle (): Promise<void> {
    await waitFor('no ref sessions open', () => t.nodes[0]!.refs.stats().sessions === 0, 5000)
  }

  beforeEach(settle)

  it('an oversized frame gets a session error and a reset, before anything is buffered', async () => {
    const d = await open()
    // announces 64 MiB
    await d.write(Uint8Array.of(0x80, 0x80, 0x80, 0x20, 0x01, 0x02))
    const { frames, ended } = await readFrames(d, 2)
    assert.deepEqual(errorOf(frames[0]), { id: 0, code: 'ERR_FRAME_TOO_LARGE' })
    assert.ok(ended, 'the stream is closed after the error')
  })

  it('garbage and unknown frame types reset the session; a client sending answers too', async () => {
    for (const bytes of [Uint8Array.of(0x02, 0x42, 0x01), encodeRefFrame(RefFrameType.PUT_OK, 1, new Uint8Array(3)), Uint8Array.of(0x01, 0x00)]) {
      const d = await open()
      await d.write(bytes)
      const { frames, ended } = await readFrames(d, 2)
      assert.equal(errorOf(frames[0]).id, 0)
      assert.equal(errorOf(frames[0]).code, 'ERR_PROTOCOL')
      assert.ok(ended)
    }
  })

  it('malformed requests get typed errors and the session goes on', async () => {
    const d = await open()
    await d.write(encodeRefFrame(RefFrameType.PUT, 1, Uint8Array.of(0x57, 0x52, 1, 1, 0, 99)))
    await d.write(encodeRefFrame(RefFrameType.PUT, 2, Uint8Array.of(0x57, 0x52, 1, 7)))
    // LIST with limit 5000 (over the protocol's 1000), written by hand: the encoder refuses it
    const list = new Uint8Array([6, ...new TextEncoder().encode('photos'), 0, 0, 0x88, 0x27])
    await d.write(encodeRefFrame(RefFrameType.LIST, 3, list))
    await d.write(encodeRefFrame(RefFrameType.GET, 4, new Uint8Array([3, 0x41, 0x42, 0x43, 1, 0x6b])))
    await d.write(encodeRefFrame(RefFrameType.PARTITION, 5, encodeRefPartitionRequest({ partition: 1, limit: 10 })))
    await d.write(encodeRefFrame(RefFrameType.GET, 6, encodeRefGetRequest({ bucket: 'photos', key: 'nothing' })))
    // a version an hour ahead would win every later write: refused
    const future = tombstone('photos', 'future', { wallMs: Date.now() + 3_600_000, counter: 0, writer: 'evil' })
    await d.write(encodeRefFrame(RefFrameType.PUT, 7, encodeStoredRecord(future)))
    const { frames } = await readFrames(d, 7)
    const byId = new Map(frames.map(f => [f.requestId, f]))
    assert.equal(errorOf(byId.get(1)).code, 'ERR_INVALID_REF_RECORD')
    assert.equal(errorOf(byId.get(2)).code, 'ERR_INVALID_REF_RECORD')
    assert.equal(errorOf(byId.get(3)).code, 'ERR_INVALID_REF_REQUEST')
    assert.equal(errorOf(byId.get(4)).code, 'ERR_INVALID_REF_REQUEST')
    assert.equal(errorOf(byId.get(5)).code, 'ERR_NOT_MEMBER')
    const ok = byId.get(6)
    assert.equal(ok?.type, RefFrameType.GET_OK)
    assert.equal(decodeRefGetAnswer(ok.body), undefined)
    assert.equal(errorOf(byId.get(7)).code, 'ERR_CLOCK_DRIFT')
    d.abort(new Error('done'))
  })

  it('a peer that stalls mid-frame is reset; too many sessions from one peer are refused', async () => {
    const d = await open()
    await d.write(Uint8Array.of(100, RefFrameType.GET, 1, 2, 3))
    const start = Date.now()
    const { ended } = await readFrames(d, 1, 5000)
    assert.ok(ended, 'reset after the inactivity timeout')
    assert.ok(Date.now() - start < 4000)

    await settle()
    const streams = await Promise.all(Array.from({ length: 6 }, async () => open()))
    const get = encodeRefFrame(RefFrameType.GET, 1, encodeRefGetRequest({ bucket: 'photos', key: 'k' }))
    const outcomes = await Promise.all(streams.map(async s => {
      try {
        await s.write(get)
      } catch {
        // reset before we could write: refused
        return 'refused'
      }
      const { frames, ended } = await readFrames(s, 1, 3000)
      return frames[0]?.type === RefFrameType.GET_OK ? 'answered' : ended ? 'refused' : 'hung'
    }))
    assert.deepEqual(outcomes.sort(), ['answered', 'answered', 'answered', 'answered', 'refused', 'refused'], 'four sessions per peer')
    for (const s of streams) s.abort(new Error('done'))
  })

  it('the node still serves a well-behaved client', async () => {
    const [seed] = t.nodes
    const c = await t.client(seed!.node)
    await waitFor('client sees the node', () => c.mesh.getMap().nodes.length === 1)
    const policy = { replicas: 1, spread: 'host' as const }
    const bytes = new TextEncoder().encode('fine')
    const put = await c.refs.putRef({ bucket: 'photos', key: 'ok', manifest: (await chunkCid(bytes)).toString(), size: 4, etag: 'e', deleted: false }, policy)
    assert.deepEqual(await c.refs.getRef('photos', 'ok', policy), put.record)
    assert.equal(seed!.node.status, 'started')
  })
})
