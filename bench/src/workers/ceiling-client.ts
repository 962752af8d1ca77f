import '@weft/protocol/polyfill'
import { once } from 'node:events'
import net from 'node:net'
import tls from 'node:tls'
import { randomBytes } from 'node:crypto'
import { Stopwatch, nowNs } from '../harness/stats.js'
import { failWorker, serveWorker } from '../harness/worker-io.js'
import { CEILING_PROTOCOL, MAX_REPLY_BYTES, WRITE_SIZE, echoHeader, sinkHeader } from './ceiling-wire.js'
import type * as Transports from './ceiling-transports.js'
import type { Libp2p, Stream } from '@libp2p/interface'

/**
 * The sending end of the `ceiling` measurements, in its own process so the
 * figures do not depend on what the scenario process has loaded:
 * `node ceiling-client.js tcp|tls|libp2p`. Hello: `{ ready, peerId? }` (the
 * TLS server checks the peer id). Commands, one at a time:
 * - `{ op: 'target', transport, port, peerId?, multiaddr? }`
 * - `{ op: 'throughput', bytes, runs }` -> `{ runs: [{ bytes, seconds, cpuSeconds }], cipher? }`
 * - `{ op: 'latency', replySize, count, warmup, maxSeconds? }` -> `{ samplesUs }`
 * - `{ op: 'objects', replySize, count, concurrency, maxSeconds? }` -> `{ count, seconds, samplesUs }`
 * `maxSeconds` ends a phase early on a box too busy to finish `count` in time.
 */

type Transport = 'tcp' | 'tls' | 'libp2p'

interface Target {
  transport: Transport
  port: number
  peerId?: string
  multiaddr?: string
}

/** One connection (or stream) seen as bytes out, byte counts in. */
interface Conn {
  write(buf: Uint8Array): boolean
  drain(): Promise<void>
  /** resolves once `total` bytes have arrived since the connection opened */
  received(total: number): Promise<void>
  readonly receivedBytes: number
  close(): Promise<void>
  cipher?: string
}

/** Counts arriving bytes and wakes the one waiter whose total is reached. */
class Arrivals {
  bytes = 0
  private target = Infinity
  private wake: (() => void) | undefined
  private fail: ((err: Error) => void) | undefined
  private error: Error | undefined

  add (n: number): void {
    this.bytes += n
    if (this.bytes >= this.target) {
      const wake = this.wake
      this.target = Infinity
      this.wake = undefined
      this.fail = undefined
      wake?.()
    }
  }

  closed (err: Error): void {
    this.error = err
    const fail = this.fail
    this.target = Infinity
    this.wake = undefined
    this.fail = undefined
    fail?.(err)
  }

  async until (total: number): Promise<void> {
    if (this.bytes >= total) return
    if (this.error != null) throw this.error
    await new Promise<void>((resolve, reject) => {
      this.target = total
      this.wake = resolve
      this.fail = reject
    })
  }
}

const REQUEST = Uint8Array.of(0x3f)
const payload = randomBytes(WRITE_SIZE)
let transports: typeof Transports | undefined
let identity: Transports.Identity | undefined
let libp2p: Libp2p | undefined
let target: Target | undefined

function socketConn (socket: net.Socket): Conn {
  const arrivals = new Arrivals()
  socket.on('data', (chunk: Buffer) => { arrivals.add(chunk.byteLength) })
  socket.on('close', () => { arrivals.closed(new Error('connection closed by the server')) })
  socket.on('error', () => {})
  return {
    write: buf => socket.write(buf),
    drain: async () => {
      if (!socket.writableNeedDrain) return
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => { socket.off('close', onClose); resolve() }
        const onClose = (): void => { socket.off('drain', onDrain); reject(new Error('connection closed before drain')) }
        socket.once('drain', onDrain)
        socket.once('close', onClose)
      })
    },
    received: async total => { await arrivals.until(total) },
    get receivedBytes () { return arrivals.bytes },
    close: async () => { socket.destroy() }
  }
}

function streamConn (stream: Stream, t: typeof Transports): Conn {
  const arrivals = new Arrivals()
  stream.addEventListener('message', evt => { arrivals.add(evt.data.byteLength) })
  stream.addEventListener('close', () => { arrivals.closed(new Error('stream closed')) })
  return {
    write: buf => stream.send(buf),
    drain: async () => { await t.streamDrain(stream) },
    received: async total => { await arrivals.until(total) },
    get receivedBytes () { return arrivals.bytes },
    close: async () => { await stream.close() }
  }
}

async function connect (): Promise<Conn> {
  if (target == null) throw new Error('no target: send { op: "target" } first')
  const { transport, port } = target
  const t = transports
  if (transport !== 'tcp' && (t == null || identity == null)) throw new Error(`this client was started for tcp, not ${transport}`)
  if (transport === 'tcp') {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
    await once(socket, 'connect')
    return socketConn(socket)
  }
  if (transport === 'tls') {
    const id = identity as Transports.Identity
    const { TLS_CIPHERSUITES, verifyTlsPeer } = t as typeof Transports
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      cert: id.cert,
      key: id.key,
      minVersion: 'TLSv1.3',
      ciphers: TLS_CIPHERSUITES,
      // the peer-id check below replaces CA validation
      rejectUnauthorized: false
    })
    await once(socket, 'secureConnect')
    socket.setNoDelay(true)
    await verifyTlsPeer(socket, target.peerId)
    const conn = socketConn(socket)
    conn.cipher = socket.getCipher().name
    return conn
  }
  const lib = t as typeof Transports
  if (libp2p == null) {
    libp2p = await lib.createBenchLibp2p({ privateKey: (identity as Transports.Identity).privateKey, psk: lib.pskFromEnv(), listen: false })
  }
  if (target.multiaddr == null) throw new Error('libp2p target needs a multiaddr')
  const stream = await libp2p.dialProtocol(lib.multiaddr(target.multiaddr), CEILING_PROTOCOL)
  return streamConn(stream, lib)
}

async function throughputRun (bytes: number): Promise<{ bytes: number, seconds: number, cpuSeconds: number, cipher?: string }> {
  const conn = await connect()
  try {
    const cpu = process.cpuUsage()
    const clock = Stopwatch.start()
    conn.write(sinkHeader(bytes))
    let sent = 0
    while (sent < bytes) {
      const n = Math.min(WRITE_SIZE, bytes - sent)
      const ok = conn.write(n === WRITE_SIZE ? payload : payload.subarray(0, n))
      sent += n
      if (!ok) await conn.drain()
    }
    await conn.received(1)
    const seconds = clock.elapsedSeconds()
    const used = process.cpuUsage(cpu)
    return { bytes, seconds, cpuSeconds: (used.user + used.system) / 1e6, cipher: conn.cipher }
  } finally {
    await conn.close()
  }
}

/** Sequential 1-byte requests on one conn; pushes each round trip (µs) into `samples` once warm. */
async function requestLoop (conn: Conn, replySize: number, next: () => boolean, samples: number[] | undefined): Promise<void> {
  let expected = conn.receivedBytes
  while (next()) {
    const t0 = nowNs()
    conn.write(REQUEST)
    expected += replySize
    await conn.received(expected)
    samples?.push((nowNs() - t0) / 1e3)
  }
}

function checkReplySize (replySize: unknown): number {
  if (typeof replySize !== 'number' || !Number.isInteger(replySize) || replySize < 1 || replySize > MAX_REPLY_BYTES) throw new RangeError(`replySize ${String(replySize)} out of range`)
  return replySize
}

/** Yes `n` times, or until `maxSeconds` (0: no limit) have passed. */
function countdown (n: number, maxSeconds = 0): () => boolean {
  let left = n
  const deadline = maxSeconds > 0 ? nowNs() + maxSeconds * 1e9 : Infinity
  return () => left-- > 0 && (deadline === Infinity || nowNs() < deadline)
}

async function latency (replySize: number, count: number, warmup: number, maxSeconds: number): Promise<{ samplesUs: number[] }> {
  const conn = await connect()
  try {
    conn.write(echoHeader(replySize))
    await requestLoop(conn, replySize, countdown(warmup), undefined)
    const samplesUs: number[] = []
    await requestLoop(conn, replySize, countdown(count, maxSeconds), samplesUs)
    return { samplesUs }
  } finally {
    await conn.close()
  }
}

async function objects (replySize: number, count: number, concurrency: number, maxSeconds: number): Promise<{ count: number, seconds: number, samplesUs: number[] }> {
  const conns: Conn[] = []
  try {
    for (let i = 0; i < concurrency; i++) conns.push(await connect())
    for (const c of conns) c.write(echoHeader(replySize))
    // a few untimed requests per connection so the timed part starts warm
    await Promise.all(conns.map(async c => { await requestLoop(c, replySize, countdown(8), undefined) }))
    const samplesUs: number[] = []
    const take = countdown(count, maxSeconds)
    const clock = Stopwatch.start()
    await Promise.all(conns.map(async c => { await requestLoop(c, replySize, take, samplesUs) }))
    return { count: samplesUs.length, seconds: clock.elapsedSeconds(), samplesUs }
  } finally {
    await Promise.all(conns.map(async c => { await c.close() }))
  }
}

function positiveInt (v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer`)
  return v
}

async function main (): Promise<void> {
  const transport = process.argv[2] ?? 'tcp'
  if (transport !== 'tcp') {
    transports = await import('./ceiling-transports.js')
    identity = await transports.createIdentity()
  }
  serveWorker({
    hello: { ready: true, transport, peerId: identity?.peerId.toString() },
    onCommand: async cmd => {
      switch (cmd.op) {
        case 'target': {
          const transport = cmd.transport as Transport
          if (!['tcp', 'tls', 'libp2p'].includes(transport)) throw new Error(`unknown transport ${String(transport)}`)
          target = {
            transport,
            port: positiveInt(cmd.port, 'port'),
            peerId: typeof cmd.peerId === 'string' ? cmd.peerId : undefined,
            multiaddr: typeof cmd.multiaddr === 'string' ? cmd.multiaddr : undefined
          }
          return { ok: true }
        }
        case 'throughput': {
          const bytes = positiveInt(cmd.bytes, 'bytes')
          const runs = []
          for (let i = 0; i < positiveInt(cmd.runs ?? 1, 'runs'); i++) runs.push(await throughputRun(bytes))
          return { runs, cipher: runs[0]?.cipher }
        }
        case 'latency':
          return await latency(checkReplySize(cmd.replySize), positiveInt(cmd.count, 'count'), positiveInt(cmd.warmup ?? 0, 'warmup'), positiveInt(cmd.maxSeconds ?? 0, 'maxSeconds'))
        case 'objects':
          return await objects(checkReplySize(cmd.replySize), positiveInt(cmd.count, 'count'), Math.max(1, positiveInt(cmd.concurrency, 'concurrency')), positiveInt(cmd.maxSeconds ?? 0, 'maxSeconds'))
        case 'usage':
          return { cpuUsage: process.cpuUsage(), maxRssKiB: process.resourceUsage().maxRSS }
        default:
          throw new Error(`unknown op ${String(cmd.op)}`)
      }
    },
    onShutdown: async () => { await libp2p?.stop() }
  })
}

main().catch(failWorker)
