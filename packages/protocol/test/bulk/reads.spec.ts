import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { TLSSocket, connect } from 'node:tls'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { LentReads, lendReads } from '../../src/bulk/reads.js'
import { socketToDuplex } from '../../src/bulk/socket-duplex.js'
import { createBulkIdentity } from '../../src/bulk/tls.js'
import { FrameDecoder, FrameType, encodeFrame } from '../../src/chunk/frame.js'
import type { BulkIdentity } from '../../src/bulk/tls.js'
import type { Frame } from '../../src/chunk/frame.js'
import type { AddressInfo, Server, Socket } from 'node:net'

describe('lent reads', function () {
  this.timeout(20_000)
  let identity: BulkIdentity
  let server: Server | undefined
  const sockets: Socket[] = []

  before(async () => {
    identity = await createBulkIdentity(await generateKeyPair('Ed25519'))
  })

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    await new Promise<void>(resolve => { server == null ? resolve() : server.close(() => { resolve() }) })
    server = undefined
  })

  it('holds reads nobody listens to, in order, and replays them to the next listener', () => {
    const reads = new LentReads(() => { assert.fail('no overflow') })
    const { buffer, callback } = reads.onread
    const lend = (text: string): void => {
      buffer.write(text)
      callback(text.length, buffer)
    }
    lend('one')
    reads.unread(Buffer.from('zero'))
    lend('two')
    const seen: string[] = []
    reads.listen(bytes => { seen.push(Buffer.from(bytes).toString()) })
    lend('three')
    assert.deepEqual(seen, ['zero', 'one', 'two', 'three'])
  })

  it('tells its owner when more than it may hold arrives with nobody listening', () => {
    let overflows = 0
    const reads = new LentReads(() => { overflows++ })
    const { buffer, callback } = reads.onread
    for (let i = 0; i < 8; i++) callback(buffer.byteLength, buffer)
    assert.equal(overflows, 1)
    // what was held is gone: a listener gets only what comes next
    const seen: number[] = []
    reads.listen(bytes => { seen.push(bytes.byteLength) })
    callback(5, buffer)
    assert.deepEqual(seen, [5])
  })

  it('lends the reads of a TLS server socket, after what it had read already, up to its end', async () => {
    const frames: Frame[] = Array.from({ length: 40 }, (_, i) => ({ type: FrameType.DATA, flags: 0, requestId: i + 1, meta: new Uint8Array(0), payload: randomBytes(1000 + i * 6007) }))
    const early = encodeFrame({ type: FrameType.STAT, flags: 1, requestId: 99, meta: Uint8Array.of(1, 2, 3), payload: new Uint8Array(0) })
    const received = new Promise<{ frames: Frame[], lent: boolean }>((resolve, reject) => {
      server = createServer({ allowHalfOpen: true }, raw => {
        sockets.push(raw)
        const socket = new TLSSocket(raw, { isServer: true, secureContext: identity.context })
        socket.on('error', reject)
        socket.once('secure', () => {
          socket.pause()
          // the client wrote before we lend: those bytes wait in the socket's readable buffer
          setTimeout(() => {
            const reads = new LentReads(() => { reject(new Error('overflow')) })
            const lent = lendReads(socket, reads)
            const duplex = socketToDuplex(socket, { reads: lent ? reads : undefined })
            void (async () => {
              const decoder = new FrameDecoder()
              const out: Frame[] = []
              for await (const buf of duplex.source) out.push(...decoder.push(buf))
              resolve({ frames: out, lent })
            })().catch(reject)
          }, 200)
        })
      })
      server.listen(0, '127.0.0.1')
    })
    await new Promise(resolve => server!.once('listening', resolve))
    const client = connect({ port: (server!.address() as AddressInfo).port, host: '127.0.0.1', secureContext: identity.context, rejectUnauthorized: false })
    sockets.push(client)
    await new Promise(resolve => client.once('secureConnect', resolve))
    client.write(early)
    await new Promise(resolve => setTimeout(resolve, 400))
    for (const f of frames) client.write(encodeFrame(f))
    client.end()

    const got = await received
    assert.equal(got.lent, true, 'this node supports lending a server socket its reads')
    assert.equal(got.frames.length, frames.length + 1)
    assert.equal(got.frames[0]!.requestId, 99)
    got.frames.slice(1).forEach((f, i) => {
      assert.equal(f.requestId, frames[i]!.requestId)
      assert.ok(Buffer.from(f.payload).equals(frames[i]!.payload))
    })
  })
})
