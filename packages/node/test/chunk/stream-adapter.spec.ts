import assert from 'node:assert/strict'
import { streamToDuplex } from '@weft/protocol'
import { connectAll, createHost, meshKey } from './hosts.js'
import type { Libp2p } from '@libp2p/interface'

const PROTOCOL = '/weft/test/firehose/1'

describe('libp2p stream adapter', function () {
  this.timeout(30_000)
  const psk = meshKey()
  let hosts: Libp2p[] = []

  afterEach(async () => {
    await Promise.all(hosts.map(async h => h.stop()))
    hosts = []
  })

  it('pauses a stream whose reader is slow, so the sender waits instead of memory growing', async () => {
    const [sender, reader] = hosts = [await createHost(psk), await createHost(psk)]
    await connectAll([{ host: sender! }, { host: reader! }])
    const total = 64 * 1024 * 1024
    let sent = 0
    await sender!.handle(PROTOCOL, async stream => {
      const duplex = streamToDuplex(stream)
      const piece = new Uint8Array(256 * 1024)
      try {
        while (sent < total) {
          await duplex.write(piece)
          sent += piece.byteLength
        }
        await duplex.close()
      } catch {
        // the reader went away
      }
    })
    const highWaterMark = 1024 * 1024
    const duplex = streamToDuplex(await reader!.dialProtocol(sender!.peerId, PROTOCOL), { highWaterMark })
    const it = duplex.source[Symbol.asyncIterator]()
    const first = await it.next()
    let received = first.done === true ? 0 : first.value.byteLength
    await new Promise(resolve => setTimeout(resolve, 1000))
    // what the reader holds (high-water mark) + one yamux window (4 MiB here) + what sits in send buffers
    assert.ok(sent - received < highWaterMark + 4 * 1024 * 1024 + 2 * 1024 * 1024, `sent ${sent} while ${received} were read`)
    for (;;) {
      const r = await it.next()
      if (r.done === true) {
        break
      }
      received += r.value.byteLength
    }
    assert.equal(received, total)
  })
})
