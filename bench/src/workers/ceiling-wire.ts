import { randomBytes } from 'node:crypto'

/**
 * The tiny protocol the ceiling workers speak, identical over raw TCP, TLS and
 * a libp2p stream so the three paths differ only in transport.
 *
 * Every connection (or stream) starts with a header:
 * - SINK  `0x01 | u64 length`: the client sends `length` bytes; when the last
 *   arrives the server answers one ACK byte. Throughput is timed end to end,
 *   from the header to the ACK.
 * - ECHO  `0x02 | u32 replySize`: from then on every byte the client sends is
 *   one request, answered with `replySize` bytes.
 * After a SINK's ACK the next header may follow on the same connection.
 */
export const OP_SINK = 0x01
export const OP_ECHO = 0x02
export const ACK = 0x06
export const SINK_HEADER_BYTES = 9
export const ECHO_HEADER_BYTES = 5

/** Bounds on header values, checked before anything is allocated or counted. */
export const MAX_SINK_BYTES = 2 ** 40
export const MAX_REPLY_BYTES = 16 * 1024 * 1024

export const CEILING_PROTOCOL = '/weft-bench/ceiling/1.0.0'

/** Sender write size: LIBP2P-NOTES found 256 KiB best on all three paths. */
export const WRITE_SIZE = 256 * 1024

/** The MLPerf ResNet-50 sample size (WORKLOADS.md). */
export const RESNET50_SAMPLE_BYTES = 114_660

export function sinkHeader (bytes: number): Uint8Array {
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_SINK_BYTES) throw new RangeError(`sink length ${bytes} out of range`)
  const buf = Buffer.alloc(SINK_HEADER_BYTES)
  buf[0] = OP_SINK
  buf.writeBigUInt64BE(BigInt(bytes), 1)
  return buf
}

export function echoHeader (replySize: number): Uint8Array {
  if (!Number.isSafeInteger(replySize) || replySize < 1 || replySize > MAX_REPLY_BYTES) throw new RangeError(`reply size ${replySize} out of range`)
  const buf = Buffer.alloc(ECHO_HEADER_BYTES)
  buf[0] = OP_ECHO
  buf.writeUInt32BE(replySize, 1)
  return buf
}

/** What both Buffer and Uint8ArrayList offer. */
export interface ByteChunk {
  byteLength: number
  subarray(start?: number, end?: number): Uint8Array
}

/**
 * The server side of one connection, fed whatever chunks arrive. `write`
 * sends bytes back; the transport adapter handles backpressure.
 */
export class CeilingSession {
  private readonly write: (buf: Uint8Array) => void
  private readonly header = Buffer.alloc(SINK_HEADER_BYTES)
  private headerHave = 0
  private mode: 'header' | 'sink' | 'echo' = 'header'
  private sinkRemaining = 0
  private reply: Uint8Array | undefined

  constructor (write: (buf: Uint8Array) => void) {
    this.write = write
  }

  onData (chunk: ByteChunk): void {
    let offset = 0
    const length = chunk.byteLength
    while (offset < length) {
      if (this.mode === 'sink') {
        const take = Math.min(this.sinkRemaining, length - offset)
        this.sinkRemaining -= take
        offset += take
        if (this.sinkRemaining === 0) {
          this.mode = 'header'
          this.write(Uint8Array.of(ACK))
        }
      } else if (this.mode === 'echo') {
        const reply = this.reply as Uint8Array
        for (; offset < length; offset++) this.write(reply)
      } else {
        offset = this.readHeader(chunk, offset)
      }
    }
  }

  private readHeader (chunk: ByteChunk, offset: number): number {
    if (this.headerHave === 0) {
      const op = chunk.subarray(offset, offset + 1)[0]
      if (op !== OP_SINK && op !== OP_ECHO) throw new Error(`unknown op ${op}`)
      this.header[0] = op
      this.headerHave = 1
      offset++
    }
    const need = this.header[0] === OP_ECHO ? ECHO_HEADER_BYTES : SINK_HEADER_BYTES
    const take = Math.min(need - this.headerHave, chunk.byteLength - offset)
    if (take === 0) return offset
    this.header.set(chunk.subarray(offset, offset + take), this.headerHave)
    this.headerHave += take
    if (this.headerHave < need) return offset + take
    this.headerHave = 0
    if (this.header[0] === OP_SINK) {
      const bytes = this.header.readBigUInt64BE(1)
      if (bytes > BigInt(MAX_SINK_BYTES)) throw new Error(`sink length ${bytes} exceeds ${MAX_SINK_BYTES}`)
      this.sinkRemaining = Number(bytes)
      this.mode = 'sink'
      if (this.sinkRemaining === 0) {
        this.mode = 'header'
        this.write(Uint8Array.of(ACK))
      }
    } else {
      const size = this.header.readUInt32BE(1)
      if (size < 1 || size > MAX_REPLY_BYTES) throw new Error(`reply size ${size} out of range`)
      this.reply = randomBytes(size)
      this.mode = 'echo'
    }
    return offset + take
  }
}
