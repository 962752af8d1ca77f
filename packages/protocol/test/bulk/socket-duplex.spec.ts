import assert from 'node:assert/strict'
import { createConnection, createServer } from 'node:net'
import { Duplex } from 'node:stream'
import { socketToDuplex } from '../../src/bulk/socket-duplex.js'
import type { ByteDuplex } from '../../src/chunk/duplex.js'
import type { AddressInfo, Server, Socket } from 'node:net'

describe('socketToDuplex', function () {
  this.timeout(20_000)
  let server: Server | undefined
  let sockets: Socket[] = []

  afterEach(async () => {
    for (const s of sockets) {
      s.destroy()
    }
    sockets = []
    await new Promise<void>(resolve => { server == null ? resolve() : server.close(() => { resolve() }) })
    server = undefined
  })

  async function pair (): Promise<[ByteDuplex, ByteDuplex]> {
    const accepted = new Promise<Socket>(resolve => {
      server = createServer({ allowHalfOpen: true }, resolve)
    })
    await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve))
    const client = createConnection({ port: (server!.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true })
    const other = await accepted
    sockets.push(client, other)
    return [socketToDuplex(client), socketToDuplex(other)]
  }

  it('stops the writer while the reader does not read, then delivers every byte in order', async () => {
    const [a, b] = await pair()
    const piece = 256 * 1024
    const limit = 256 * 1024 * 1024
    let written = 0
    let stalled = false
    while (written < limit) {
      const buf = new Uint8Array(piece).fill(written / piece & 0xFF)
      const write = a.write(buf).then(() => true)
      const done = await Promise.race([write, new Promise<false>(resolve => setTimeout(() => { resolve(false) }, 300))])
      written += piece
      if (!done) {
        stalled = true
        // the bytes of this write are queued; keep its promise going
        void write
        break
      }
    }
    assert.ok(stalled, 'the writer was held back')
    // the read high-water mark (1 MiB), the write one (1 MiB) and the kernel's socket buffers
    assert.ok(written < 48 * 1024 * 1024, `wrote ${written} bytes into a reader that reads nothing`)

    const closing = (async () => {
      // the last write resolves once the reader makes room
      await a.close()
    })()
    let got = 0
    for await (const buf of b.source) {
      for (let i = 0; i < buf.byteLength; i += 4096) {
        assert.equal(buf[i], (got + i) / piece & 0xFF)
      }
      got += buf.byteLength
    }
    await closing
    assert.equal(got, written)
  })

  it('half-closes: the other side still answers after our end', async () => {
    const [a, b] = await pair()
    await a.write(new TextEncoder().encode('question'))
    await a.close()
    let asked = ''
    for await (const buf of b.source) {
      asked += Buffer.from(buf).toString()
    }
    assert.equal(asked, 'question')
    await b.write(new TextEncoder().encode('answer'))
    await b.close()
    let answer = ''
    for await (const buf of a.source) {
      answer += Buffer.from(buf).toString()
    }
    assert.equal(answer, 'answer')
  })

  it('ends reads and fails writes after an abort on the other side', async () => {
    const [a, b] = await pair()
    b.abort(new Error('gone'))
    // a reset looks like an end to the reader (TCP FIN); the frame layer tells a clean end from a cut frame
    for await (const _ of a.source) {
      assert.fail('no bytes were sent')
    }
    await assert.rejects((async () => {
      for (let i = 0; i < 100; i++) {
        await a.write(new Uint8Array(64 * 1024))
        await new Promise(resolve => setTimeout(resolve, 5))
      }
    })())
  })

  it('keeps at most two writes outstanding, so the socket never joins queued writes into one', async () => {
    // a socket that completes each write later, like a TLS socket whose peer reads slowly
    let outstanding = 0
    let most = 0
    let joined = 0
    const seen: number[] = []
    const socket = new Duplex({
      read () {},
      write (chunk: Buffer, _encoding, callback) {
        outstanding++
        most = Math.max(most, outstanding)
        seen.push(chunk[0]!)
        setTimeout(() => {
          outstanding--
          callback()
        }, 2)
      },
      writev (chunks, callback) {
        joined++
        for (const c of chunks) seen.push((c.chunk as Buffer)[0]!)
        setTimeout(callback, 2)
      }
    })
    const duplex = socketToDuplex(socket)
    for (let i = 0; i < 50; i++) {
      await duplex.write(new Uint8Array(64 * 1024).fill(i))
    }
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(joined, 0, 'no writev')
    assert.equal(most, 1, 'the socket itself writes one at a time; one more waits in its queue')
    assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i))
    assert.ok(socket.writableLength <= 64 * 1024)
    socket.destroy()
  })
})
