import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { formatBulkAddr } from '../../src/bulk/addr.js'
import { connectBulk } from '../../src/bulk/connect.js'
import { BulkHelloStatus } from '../../src/bulk/hello.js'
import { createBulkIdentity } from '../../src/bulk/tls.js'
import { bulkTransport } from '../../src/bulk/transport.js'
import { createChunkClient } from '../../src/chunk/client.js'
import { bytesOf, cidOf, collect } from '../chunk/fixtures.js'
import { MemoryHandler } from '../chunk/memory-handler.js'
import { closedPort, startTestBulkServer } from './tls-server.js'
import type { TestBulkServer } from './tls-server.js'
import type { BulkIdentity } from '../../src/bulk/tls.js'
import type { ChunkClient } from '../../src/chunk/client.js'
import type { PrivateKey } from '@libp2p/interface'

describe('bulk channel client', function () {
  this.timeout(20_000)
  let serverKey: PrivateKey
  let server: BulkIdentity
  let clientKey: PrivateKey
  let client: BulkIdentity
  let running: TestBulkServer[] = []
  let chunks: ChunkClient | undefined

  before(async () => {
    serverKey = await generateKeyPair('Ed25519')
    server = await createBulkIdentity(serverKey)
    clientKey = await generateKeyPair('Ed25519')
    client = await createBulkIdentity(clientKey)
  })

  afterEach(async () => {
    await chunks?.close()
    chunks = undefined
    await Promise.all(running.map(async s => s.close()))
    running = []
  })

  async function start (init: Partial<Parameters<typeof startTestBulkServer>[0]> = {}): Promise<TestBulkServer & { handler: MemoryHandler }> {
    const handler = new MemoryHandler(server.peerId)
    const s = await startTestBulkServer({ identity: server, handler, ...init })
    running.push(s)
    return Object.assign(s, { handler })
  }

  it('carries put, get, has and stat; the server sees the client as its libp2p peer id', async () => {
    const s = await start()
    chunks = createChunkClient({
      transport: bulkTransport({ privateKey: clientKey, resolve: peer => peer.equals(server.peerId) ? formatBulkAddr(s.address) : undefined })
    })
    const bytes = bytesOf(3 * 1024 * 1024 + 5)
    const cid = await cidOf(bytes)
    const put = await chunks.put(server.peerId, cid, bytes)
    assert.deepEqual(put.failed, [])
    assert.equal(put.stored.length, 1)
    assert.ok(Buffer.from(await collect(chunks.get(server.peerId, cid))).equals(bytes))
    assert.ok(Buffer.from(await collect(chunks.get(server.peerId, cid, { offset: 1000, length: 300_000 }))).equals(bytes.subarray(1000, 301_000)))
    const other = await cidOf(bytesOf(10, 3))
    assert.deepEqual(await chunks.has(server.peerId, [other, cid]), [false, true])
    assert.equal((await chunks.stat(server.peerId, cid))?.size, bytes.byteLength)
    assert.equal(s.peers.length, 1, 'one pooled connection carried every request')
    assert.ok(s.peers[0]!.equals(peerIdFromPrivateKey(clientKey)))
  })

  it('refuses a server that proves another peer id than expected, before sending anything', async () => {
    const impostorKey = await generateKeyPair('Ed25519')
    const impostor = await createBulkIdentity(impostorKey)
    let calls = 0
    const spy = new Proxy(new MemoryHandler(), {
      get (target, prop, receiver) {
        calls++
        return Reflect.get(target, prop, receiver) as unknown
      }
    })
    const s = await startTestBulkServer({ identity: impostor, handler: spy })
    running.push(s)
    // the client dials server.peerId at an address where someone else answers
    await assert.rejects(connectBulk({ address: s.address, expectedPeer: server.peerId, identity: client }), { code: 'ERR_BULK_AUTH' })
    chunks = createChunkClient({ transport: bulkTransport({ privateKey: clientKey, resolve: () => s.address }) })
    await assert.rejects(chunks.stat(server.peerId, await cidOf(bytesOf(1))), { code: 'ERR_PEER_UNREACHABLE' })
    // the impostor was reached twice, but got no request
    assert.equal(s.accepted, 2)
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(calls, 0)
  })

  it('fails with ERR_BULK_REFUSED when the server will not serve us, ERR_BULK_HANDSHAKE when it never greets', async () => {
    const refusing = await start({ status: BulkHelloStatus.NOT_ALLOWED })
    await assert.rejects(connectBulk({ address: refusing.address, expectedPeer: server.peerId, identity: client }), { code: 'ERR_BULK_REFUSED' })
    const busy = await start({ status: BulkHelloStatus.BUSY })
    await assert.rejects(connectBulk({ address: busy.address, expectedPeer: server.peerId, identity: client }), { code: 'ERR_BULK_REFUSED' })
    const silent = await start({ silent: true })
    const t0 = Date.now()
    await assert.rejects(connectBulk({ address: silent.address, expectedPeer: server.peerId, identity: client, timeout: 300 }), { code: 'ERR_BULK_HANDSHAKE' })
    assert.ok(Date.now() - t0 < 5_000)
    const otherAlpn = await start({ alpn: ['h2'] })
    await assert.rejects(connectBulk({ address: otherAlpn.address, expectedPeer: server.peerId, identity: client }), { code: 'ERR_BULK_HANDSHAKE' })
  })

  it('fails fast on a closed port, honours abort, and reports a peer without a bulk address', async () => {
    const port = await closedPort()
    await assert.rejects(connectBulk({ address: { host: '127.0.0.1', port }, expectedPeer: server.peerId, identity: client }), { code: 'ERR_BULK_HANDSHAKE' })
    const silent = await start({ silent: true })
    const controller = new AbortController()
    setTimeout(() => { controller.abort(new Error('caller gave up')) }, 100)
    await assert.rejects(connectBulk({ address: silent.address, expectedPeer: server.peerId, identity: client, signal: controller.signal }), /caller gave up/)
    const transport = bulkTransport({ privateKey: clientKey, resolve: () => '' })
    await assert.rejects(transport(server.peerId), { code: 'ERR_BULK_UNAVAILABLE' })
    const garbage = bulkTransport({ privateKey: clientKey, resolve: () => 'not an address' })
    await assert.rejects(garbage(server.peerId), { code: 'ERR_BULK_UNAVAILABLE' })
  })
})
