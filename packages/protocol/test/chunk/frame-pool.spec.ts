import assert from 'node:assert/strict'
import { MAX_FRAME_PAYLOAD } from '../../src/chunk/constants.js'
import { FrameBufferPool, POOLED_FRAME_BYTES } from '../../src/chunk/frame-pool.js'
import { FrameCopier, FrameDecoder, FrameType, encodeFrame } from '../../src/chunk/frame.js'

describe('chunk/frame-pool: frame buffers a reader gives back', () => {
  it('hands out a released buffer again, and only buffers it made, once each', () => {
    const pool = new FrameBufferPool()
    const a = pool.take(MAX_FRAME_PAYLOAD)!
    assert.equal(a.byteLength, MAX_FRAME_PAYLOAD)
    pool.release(a.subarray(10, 20))
    pool.release(a)
    pool.release(new Uint8Array(MAX_FRAME_PAYLOAD))
    assert.deepEqual(pool.stats, { allocated: 1, reused: 0, free: 1 }, 'a double release and a foreign buffer are ignored')
    const b = pool.take(MAX_FRAME_PAYLOAD - 1)!
    assert.equal(b.buffer, a.buffer)
    assert.equal(b.byteLength, MAX_FRAME_PAYLOAD - 1)
    const c = pool.take(MAX_FRAME_PAYLOAD)!
    assert.notEqual(c.buffer, a.buffer, 'a buffer in use is not handed out twice')
    assert.deepEqual(pool.stats, { allocated: 2, reused: 1, free: 0 })
  })

  it('leaves small and oversized frames to the transport, and keeps at most maxFree', () => {
    const pool = new FrameBufferPool({ maxFree: 1 })
    assert.equal(pool.take(1024), undefined)
    assert.equal(pool.take(POOLED_FRAME_BYTES + 1), undefined)
    const a = pool.take(POOLED_FRAME_BYTES)!
    const b = pool.take(POOLED_FRAME_BYTES)!
    pool.release(a)
    pool.release(b)
    assert.equal(pool.stats.free, 1)
  })

  it('a frame copier receives into the buffers its allocator gives for the request, and allocates when it gives none', () => {
    const payload = new Uint8Array(200_000).fill(7)
    const wire = Buffer.concat([
      encodeFrame({ type: FrameType.DATA, flags: 0, requestId: 5, meta: new Uint8Array(0), payload }),
      encodeFrame({ type: FrameType.DATA, flags: 0, requestId: 6, meta: new Uint8Array(0), payload }),
      encodeFrame({ type: FrameType.DATA, flags: 0, requestId: 5, meta: new Uint8Array(0), payload: payload.subarray(0, 100) })
    ])
    const pool = new FrameBufferPool()
    const asked: number[] = []
    const copier = new FrameCopier()
    copier.allocator = (requestId, length) => {
      asked.push(requestId)
      return requestId === 5 ? pool.take(length) : undefined
    }
    const frames: Uint8Array[] = []
    // lent reads of awkward sizes, as a socket gives them
    for (let at = 0; at < wire.byteLength; at += 70_001) copier.push(wire.subarray(at, at + 70_001), f => frames.push(f))
    assert.deepEqual(asked, [5, 6, 5])
    assert.equal(frames.length, 3)
    assert.equal(pool.stats.allocated, 1, 'the small frame got a buffer of its own')
    const decoder = new FrameDecoder()
    const decoded = frames.flatMap(f => decoder.push(f))
    assert.deepEqual(decoded.map(f => [f.requestId, f.payload.byteLength]), [[5, 200_000], [6, 200_000], [5, 100]])
    assert.ok(decoded.every(f => f.payload.every(b => b === 7)))
  })

  it('a frame copier ignores an allocator answer of the wrong size', () => {
    const copier = new FrameCopier()
    copier.allocator = () => new Uint8Array(10)
    const frames: Uint8Array[] = []
    copier.push(encodeFrame({ type: FrameType.DATA, flags: 0, requestId: 1, meta: new Uint8Array(0), payload: new Uint8Array(300).fill(1) }), f => frames.push(f))
    assert.equal(frames.length, 1)
    assert.equal(frames[0]!.byteLength, 16 + 300)
  })
})
