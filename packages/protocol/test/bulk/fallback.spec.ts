import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { fallbackTransport } from '../../src/bulk/fallback.js'
import { createBulkIdentity } from '../../src/bulk/tls.js'
import { bulkTransport } from '../../src/bulk/transport.js'
import { createChunkClient } from '../../src/chunk/client.js'
import { ServerSession } from '../../src/chunk/server-session.js'
import { duplexPair } from '../chunk/duplex-pair.js'
import { bytesOf, cidOf, collect } from '../chunk/fixtures.js'
import { MemoryHandler } from '../chunk/memory-handler.js'
import { closedPort, startTestBulkServer } from './tls-server.js'
import type { BulkAddress } from '../../src/bulk/addr.js'
import type { ChunkClient, ChunkTransport } from '../../src/chunk/client.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

describe('fallback transport', function () {
  this.timeout(20_000)
  let serverKey: PrivateKey
  let serverPeer: PeerId
  let clientKey: PrivateKey
  let handler: MemoryHandler
  let chunks: ChunkClient | undefined
  let cleanup: Array<() => Promise<void>> = []
  let fallbackOpened = 0

  /** The "libp2p" side: sessions over an in-memory pipe to the same handler. */
  const memoryTransport: ChunkTransport = async () => {
    fallbackOpened++
    const [c, s] = duplexPair()
    void new ServerSession(s, { handler }).run()
    return c
  }

  before(async () => {
    serverKey = await generateKeyPair('Ed25519')
    serverPeer = (await createBulkIdentity(serverKey)).peerId
    clientKey = await generateKeyPair('Ed25519')
  })

  beforeEach(() => {
    handler = new MemoryHandler(serverPeer)
    fallbackOpened = 0
  })

  afterEach(async () => {
    await chunks?.close()
    chunks = undefined
    await Promise.all(cleanup.map(async c => c()))
    cleanup = []
  })

  function counting (resolve: () => BulkAddress | string | undefined): { transport: ChunkTransport, attempts: () => number } {
    let attempts = 0
    const bulk = bulkTransport({ privateKey: clientKey, resolve: () => { attempts++; return resolve() } })
    return { transport: bulk, attempts: () => attempts }
  }

  it('serves a peer whose bulk address is unreachable over the fallback, and remembers the failure', async () => {
    const port = await closedPort()
    const bulk = counting(() => ({ host: '127.0.0.1', port }))
    const fellBack: string[] = []
    // one transport (and its memory of failures) shared by the clients below, each opening its own session
    const transport = fallbackTransport(bulk.transport, memoryTransport, { retryAfter: 400, onFallback: (_peer, err) => fellBack.push((err as Error & { code: string }).code) })
    const session = async <T>(fn: (c: ChunkClient) => Promise<T>): Promise<T> => {
      chunks = createChunkClient({ transport })
      try {
        return await fn(chunks)
      } finally {
        await chunks.close()
        chunks = undefined
      }
    }
    const bytes = bytesOf(600_000, 4)
    const cid = await cidOf(bytes)
    await session(async c => {
      assert.equal((await c.put(serverPeer, cid, bytes)).stored.length, 1)
      assert.ok(Buffer.from(await collect(c.get(serverPeer, cid))).equals(bytes))
    })
    assert.equal(bulk.attempts(), 1)
    assert.equal(fallbackOpened, 1)
    assert.deepEqual(fellBack, ['ERR_BULK_HANDSHAKE'])

    // a new session within retryAfter goes straight to the fallback
    assert.deepEqual(await session(async c => c.has(serverPeer, [cid])), [true])
    assert.equal(bulk.attempts(), 1, 'a remembered failure does not retry the bulk channel')
    assert.equal(fallbackOpened, 2)

    // after retryAfter the bulk channel is tried again
    await new Promise(resolve => setTimeout(resolve, 450))
    assert.equal((await session(async c => c.stat(serverPeer, cid)))?.size, bytes.byteLength)
    assert.equal(bulk.attempts(), 2)
    assert.equal(fallbackOpened, 3)
  })

  it('uses the bulk channel when it works, and the fallback for a peer without a bulk address (not remembered)', async () => {
    const identity = await createBulkIdentity(serverKey)
    const server = await startTestBulkServer({ identity, handler })
    cleanup.push(async () => server.close())
    const announced: { addr?: BulkAddress } = {}
    const bulk = counting(() => announced.addr)
    const transport = fallbackTransport(bulk.transport, memoryTransport)
    chunks = createChunkClient({ transport })
    const bytes = bytesOf(300_000, 8)
    const cid = await cidOf(bytes)
    assert.equal((await chunks.put(serverPeer, cid, bytes)).stored.length, 1)
    assert.equal(fallbackOpened, 1)
    assert.equal(server.peers.length, 0)
    await chunks.close()

    // the peer announces a bulk address: the next session uses it at once
    announced.addr = server.address
    chunks = createChunkClient({ transport })
    assert.ok(Buffer.from(await collect(chunks.get(serverPeer, cid))).equals(bytes))
    assert.equal(server.peers.length, 1)
    assert.equal(fallbackOpened, 1)
    assert.equal(bulk.attempts(), 2)
  })

  it('does not fall back when the caller aborts', async () => {
    const identity = await createBulkIdentity(serverKey)
    const silent = await startTestBulkServer({ identity, handler, silent: true })
    cleanup.push(async () => silent.close())
    const transport = fallbackTransport(bulkTransport({ privateKey: clientKey, resolve: () => silent.address }), memoryTransport)
    await assert.rejects(transport(serverPeer, { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' })
    assert.equal(fallbackOpened, 0)
  })
})
