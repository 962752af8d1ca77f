import assert from 'node:assert/strict'
import {
  FRAME_HEADER_LENGTH, FRAME_MAGIC, FRAME_VERSION, MAX_FRAME_PAYLOAD, MAX_META_LENGTH
} from '../../src/chunk/constants.js'
import { FrameCopier, FrameDecoder, FrameFlags, FrameType, encodeFrame, encodeFrameHead } from '../../src/chunk/frame.js'
import type { Frame } from '../../src/chunk/frame.js'

function header (fields: { magic?: number, version?: number, type?: number, flags?: number, id?: number, meta?: number, reserved?: number, payload?: number }): Uint8Array {
  const buf = new Uint8Array(FRAME_HEADER_LENGTH)
  const view = new DataView(buf.buffer)
  buf[0] = fields.magic ?? FRAME_MAGIC
  buf[1] = fields.version ?? FRAME_VERSION
  buf[2] = fields.type ?? FrameType.DATA
  buf[3] = fields.flags ?? FrameFlags.END
  view.setUint32(4, fields.id ?? 1)
  view.setUint16(8, fields.meta ?? 0)
  view.setUint16(10, fields.reserved ?? 0)
  view.setUint32(12, fields.payload ?? 0)
  return buf
}

function sample (): Frame[] {
  const payload = new Uint8Array(70_000).map((_, i) => i * 7)
  return [
    { type: FrameType.PUT, flags: 0, requestId: 1, meta: Uint8Array.of(1, 2, 3), payload: payload.subarray(0, 1000) },
    { type: FrameType.DATA, flags: 0, requestId: 1, meta: new Uint8Array(0), payload },
    { type: FrameType.DATA, flags: FrameFlags.END, requestId: 1, meta: new Uint8Array(0), payload: new Uint8Array(0) },
    { type: FrameType.HAS, flags: FrameFlags.END, requestId: 0xFFFFFFFF, meta: Uint8Array.of(0, 1), payload: Uint8Array.of(9) },
    { type: FrameType.ERROR, flags: FrameFlags.END, requestId: 7, meta: new Uint8Array(40).fill(65), payload: new Uint8Array(0) }
  ]
}

function same (a: Frame, b: Frame): void {
  assert.equal(a.type, b.type)
  assert.equal(a.flags, b.flags)
  assert.equal(a.requestId, b.requestId)
  assert.deepEqual([...a.meta], [...b.meta])
  assert.deepEqual(Buffer.from(a.payload), Buffer.from(b.payload))
}

describe('chunk frame codec', () => {
  it('round-trips frames pushed whole, at once', () => {
    const frames = sample()
    const bytes = Buffer.concat(frames.map(encodeFrame))
    const out = new FrameDecoder().push(bytes)
    assert.equal(out.length, frames.length)
    out.forEach((f, i) => { same(f, frames[i]!) })
  })

  it('round-trips frames cut at every possible point and byte by byte', () => {
    const frames = sample().slice(2)
    const bytes = Buffer.concat(frames.map(encodeFrame))
    for (let cut = 0; cut <= bytes.byteLength; cut++) {
      const d = new FrameDecoder()
      const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))]
      assert.equal(out.length, frames.length, `cut at ${cut}`)
      out.forEach((f, i) => { same(f, frames[i]!) })
      assert.equal(d.bufferedBytes, 0)
    }
    const d = new FrameDecoder()
    const out: Frame[] = []
    for (const b of bytes) {
      out.push(...d.push(Uint8Array.of(b)))
    }
    out.forEach((f, i) => { same(f, frames[i]!) })
  })

  it('reports a partial frame while one is incomplete', () => {
    const d = new FrameDecoder()
    const bytes = encodeFrame(sample()[0]!)
    d.push(bytes.subarray(0, 5))
    assert.ok(d.bufferedBytes > 0)
    d.push(bytes.subarray(5, 100))
    assert.ok(d.bufferedBytes > 0)
    assert.equal(d.push(bytes.subarray(100)).length, 1)
    assert.equal(d.bufferedBytes, 0)
  })

  it('rejects garbage on its first byte', () => {
    assert.throws(() => new FrameDecoder().push(Uint8Array.of(0x47)), { code: 'ERR_PROTOCOL' })
    assert.throws(() => new FrameDecoder().push(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')), { code: 'ERR_PROTOCOL' })
  })

  it('rejects another version as soon as the version byte arrives', () => {
    const d = new FrameDecoder()
    d.push(Uint8Array.of(FRAME_MAGIC))
    assert.throws(() => d.push(Uint8Array.of(FRAME_VERSION + 1)), { code: 'ERR_UNSUPPORTED_VERSION' })
  })

  it('rejects a 4 GiB payload length and an oversized meta before allocating', () => {
    const before = process.memoryUsage().arrayBuffers
    assert.throws(() => new FrameDecoder().push(header({ payload: 0xFFFFFFFF })), { code: 'ERR_FRAME_TOO_LARGE' })
    assert.throws(() => new FrameDecoder().push(header({ payload: MAX_FRAME_PAYLOAD + 1 })), { code: 'ERR_FRAME_TOO_LARGE' })
    assert.throws(() => new FrameDecoder().push(header({ type: FrameType.PUT, flags: 0, meta: MAX_META_LENGTH + 1 })), { code: 'ERR_FRAME_TOO_LARGE' })
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024)
  })

  it('rejects headers that break the rules of their type', () => {
    const bad = [
      header({ type: 0x42 }), // unknown type
      header({ flags: 0x80 }), // unknown flag
      header({ reserved: 1 }), // reserved bytes
      header({ type: FrameType.GET, flags: 0, meta: 4 }), // single-frame type without END
      header({ type: FrameType.DATA, meta: 3 }), // DATA carries no meta
      header({ type: FrameType.STAT, payload: 4, meta: 2 }), // STAT carries no payload
      header({ type: FrameType.CANCEL, payload: 1 }), // CANCEL carries nothing
      header({ type: FrameType.DATA, flags: 0, payload: 0 }) // empty DATA that does not end
    ]
    for (const h of bad) {
      assert.throws(() => new FrameDecoder().push(h), { code: 'ERR_PROTOCOL' }, `header ${Buffer.from(h).toString('hex')}`)
    }
  })

  it('refuses further input after an error', () => {
    const d = new FrameDecoder()
    assert.throws(() => d.push(Uint8Array.of(0)))
    assert.throws(() => d.push(encodeFrame(sample()[2]!)), { code: 'ERR_PROTOCOL' })
  })

  it('will not encode what it would refuse to decode', () => {
    assert.throws(() => encodeFrameHead(FrameType.DATA, 0, 1, new Uint8Array(0), MAX_FRAME_PAYLOAD + 1), { code: 'ERR_FRAME_TOO_LARGE' })
    assert.throws(() => encodeFrameHead(FrameType.HAS, 0, 1, new Uint8Array(1), 0), { code: 'ERR_PROTOCOL' })
    assert.throws(() => encodeFrameHead(FrameType.DATA, 0, -1, new Uint8Array(0), 1), RangeError)
  })
})

describe('chunk frame copier (lent reads)', () => {
  /** Push `bytes` cut at `cuts` through a copier, each piece from one reused buffer as a socket's onread would lend it. */
  function copyThrough (bytes: Uint8Array, cuts: number[]): { out: Uint8Array[], copier: FrameCopier } {
    const copier = new FrameCopier()
    const lent = new Uint8Array(bytes.byteLength)
    const out: Uint8Array[] = []
    let at = 0
    for (const end of [...cuts, bytes.byteLength]) {
      const piece = lent.subarray(0, end - at)
      piece.set(bytes.subarray(at, end))
      copier.push(piece, owned => { out.push(owned) })
      // the lender reuses its buffer at once: nothing emitted may depend on it
      piece.fill(0xEE)
      at = end
    }
    return { out, copier }
  }

  it('emits each frame whole, once, as its own copy, wherever the reads were cut', () => {
    const frames = sample()
    const encoded = frames.map(encodeFrame)
    const bytes = Buffer.concat(encoded)
    const cutsList = [[], [1], [15, 16, 17], [bytes.byteLength - 1], Array.from({ length: 40 }, (_, i) => Math.floor((i + 1) * bytes.byteLength / 41))]
    for (const cuts of cutsList) {
      const { out, copier } = copyThrough(bytes, cuts)
      assert.equal(out.length, frames.length, `cuts ${cuts.join(',')}`)
      out.forEach((buf, i) => { assert.ok(Buffer.from(buf).equals(encoded[i]!), `frame ${i}, cuts ${cuts.join(',')}`) })
      assert.equal(copier.bufferedBytes, 0)
      // a decoder takes each as views, without copying again
      const decoder = new FrameDecoder()
      const decoded = out.flatMap(buf => decoder.push(buf))
      decoded.forEach((f, i) => {
        same(f, frames[i]!)
        if (f.payload.byteLength > 0) assert.equal(f.payload.buffer, out[i]!.buffer)
      })
    }
  })

  it('copies byte by byte and says how much of a frame it holds', () => {
    const frames = sample().slice(0, 2)
    const bytes = Buffer.concat(frames.map(encodeFrame))
    const { out } = copyThrough(bytes, Array.from({ length: bytes.byteLength - 1 }, (_, i) => i + 1))
    assert.equal(out.length, 2)
    const copier = new FrameCopier()
    copier.push(bytes.subarray(0, FRAME_HEADER_LENGTH + 10), () => { assert.fail('nothing is whole yet') })
    assert.equal(copier.bufferedBytes, FRAME_HEADER_LENGTH + 10)
  })

  it('allocates nothing for a header that breaks the limits, and passes the bytes on for the decoder to refuse', () => {
    for (const [bad, code] of [
      [header({ payload: 0xFFFFFFFF }), 'ERR_FRAME_TOO_LARGE'],
      [header({ meta: MAX_META_LENGTH + 1, type: FrameType.PUT }), 'ERR_FRAME_TOO_LARGE'],
      [header({ magic: 0x00 }), 'ERR_PROTOCOL']
    ] as const) {
      const { out, copier } = copyThrough(Buffer.concat([bad, new Uint8Array(100).fill(1)]), [3, 50])
      const total = out.reduce((n, b) => n + b.byteLength, 0)
      assert.equal(total, FRAME_HEADER_LENGTH + 100, 'the bytes pass through as they are, no frame-sized buffer')
      assert.ok(out.every(b => b.byteLength <= 100))
      assert.equal(copier.bufferedBytes, 0)
      const decoder = new FrameDecoder()
      assert.throws(() => out.forEach(b => decoder.push(b)), { code })
    }
  })
})
