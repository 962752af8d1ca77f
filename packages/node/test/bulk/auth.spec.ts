import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateCertificate } from '@libp2p/tls/utils'
import { BulkHelloStatus, FrameFlags, FrameType, connectBulk, createBulkIdentity, encodeCidRequest, encodeFrame, encodeHello } from '@weft/protocol'
import { bytesOf, cidOf } from '../chunk/hosts.js'
import { rawTlsClient, readHello, startBulkNode, untilClosed } from './fixtures.js'
import type { BulkTestNode } from './fixtures.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { BulkIdentity } from '@weft/protocol'

/** A plain self-signed P-256 certificate (valid 2000-2099) without the libp2p extension. */
const PLAIN_CERT = `-----BEGIN CERTIFICATE-----
MIIBEjCBugIBATAKBggqhkjOPQQDAjAVMRMwEQYDVQQDDApub3QtbGlicDJwMCAX
DTAwMDEwMTAwMDAwMFoYDzIwOTkxMjMxMDAwMDAwWjAVMRMwEQYDVQQDDApub3Qt
bGlicDJwMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEMd5vah6CzP8kjtcTNSqp
quu2gnhoKG8qFW5fXf0D+R5PIZguHlv1rWnPobgxoOB8MQPbpFVtDuDsQa5Lgf92
jDAKBggqhkjOPQQDAgNHADBEAiAXJHqlrmG7Z+q/7FML851f1QFLvJCSaKQ6MZCK
WyEGjAIgc29jSGiWHhuAkyaK5m4hmf7LCFSkq1EePvljF9vUbHY=
-----END CERTIFICATE-----`
const PLAIN_KEY = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIILp427WOOGRcYa5xq2xmeJoL52Fr6GBs/YyU9Ap9vtGoAoGCCqGSM49
AwEHoUQDQgAEMd5vah6CzP8kjtcTNSqpquu2gnhoKG8qFW5fXf0D+R5PIZguHlv1
rWnPobgxoOB8MQPbpFVtDuDsQa5Lgf92jA==
-----END EC PRIVATE KEY-----`

describe('bulk server authentication', function () {
  this.timeout(30_000)
  let node: BulkTestNode
  let allowedKey: PrivateKey
  let allowed: BulkIdentity
  let strangerKey: PrivateKey
  let stranger: BulkIdentity
  let allowedPeers: PeerId[] = []
  let statFrame: Uint8Array

  before(async () => {
    allowedKey = await generateKeyPair('Ed25519')
    allowed = await createBulkIdentity(allowedKey)
    strangerKey = await generateKeyPair('Ed25519')
    stranger = await createBulkIdentity(strangerKey)
    statFrame = encodeFrame({ type: FrameType.STAT, flags: FrameFlags.END, requestId: 1, meta: encodeCidRequest(await cidOf(bytesOf(10))), payload: new Uint8Array(0) })
  })

  beforeEach(async () => {
    allowedPeers = [allowed.peerId]
    node = await startBulkNode({ isAllowed: peer => allowedPeers.some(p => p.equals(peer)), handshakeTimeout: 2_000 })
  })

  afterEach(async () => {
    await node.stop()
  })

  /** Connect with a certificate, send a request at once without waiting, and see what comes back. */
  async function attempt (cert: string | undefined, key: string | undefined): Promise<Buffer> {
    let socket
    try {
      socket = await rawTlsClient({ address: node.address, cert, key })
    } catch {
      // the server may cut the handshake itself; either way nothing was served
      return Buffer.alloc(0)
    }
    socket.write(statFrame)
    const { received } = await untilClosed(socket)
    return received
  }

  it('serves an allowed peer (the control case)', async () => {
    const socket = await rawTlsClient({ address: node.address, cert: allowed.cert, key: allowed.key })
    assert.equal(await readHello(socket), BulkHelloStatus.READY)
    socket.write(statFrame)
    socket.resume()
    await new Promise<void>(resolve => socket.once('data', () => { resolve() }))
    assert.equal(node.calls, 1)
    socket.destroy()
  })

  it('tells a verified peer that is not allowed, and reads none of its frames', async () => {
    const received = await attempt(stranger.cert, stranger.key)
    assert.deepEqual(new Uint8Array(received), encodeHello(BulkHelloStatus.NOT_ALLOWED))
    assert.equal(node.calls, 0)
    assert.equal(node.server.stats().notAllowed, 1)
    await assert.rejects(connectBulk({ address: node.address, expectedPeer: node.peerId, identity: stranger }), { code: 'ERR_BULK_REFUSED' })

    // once allowed (it joined the mesh, say), the same peer is served
    allowedPeers.push(stranger.peerId)
    const { duplex } = await connectBulk({ address: node.address, expectedPeer: node.peerId, identity: stranger })
    duplex.abort(new Error('done'))
  })

  it('closes a connection with a plain self-signed certificate or none, before any frame', async () => {
    assert.equal((await attempt(PLAIN_CERT, PLAIN_KEY)).byteLength, 0)
    assert.equal((await attempt(undefined, undefined)).byteLength, 0)
    assert.equal(node.calls, 0)
    assert.equal(node.server.stats().authFailed, 2)
    assert.equal(node.server.stats().served, 0)
  })

  it('refuses a certificate claiming a peer id whose key did not sign it', async () => {
    // the extension names the allowed peer's key, but the signature over the TLS key is the stranger's
    const forger: PrivateKey = Object.assign(Object.create(Object.getPrototypeOf(strangerKey) as object) as PrivateKey, strangerKey, {
      publicKey: allowedKey.publicKey,
      sign: async (data: Uint8Array) => strangerKey.sign(data)
    })
    const forged = await generateCertificate(forger)
    assert.equal((await attempt(forged.cert, forged.key)).byteLength, 0)
    assert.equal(node.calls, 0)
    assert.equal(node.server.stats().authFailed, 1)

    // and the allowed peer's own certificate with another TLS key cannot even be used: TLS proves the key
    await assert.rejects(rawTlsClient({ address: node.address, cert: allowed.cert, key: stranger.key }), /key values mismatch/)
    assert.equal(node.server.stats().served, 0)
  })

  it('refuses the wrong ALPN, no ALPN, and TLS below 1.3', async () => {
    await assert.rejects(rawTlsClient({ address: node.address, cert: allowed.cert, key: allowed.key, alpn: ['h2'] }))
    const noAlpn = await rawTlsClient({ address: node.address, cert: allowed.cert, key: allowed.key, alpn: [] })
    noAlpn.write(statFrame)
    assert.equal((await untilClosed(noAlpn)).received.byteLength, 0)
    const { connect } = await import('node:tls')
    const tls12 = connect({ ...node.address, cert: allowed.cert, key: allowed.key, maxVersion: 'TLSv1.2', rejectUnauthorized: false })
    const outcome = await untilClosed(tls12)
    assert.equal(outcome.received.byteLength, 0)
    assert.ok(outcome.error != null)
    assert.equal(node.calls, 0)
    assert.equal(node.server.stats().served, 0)
  })
})
