import assert from 'node:assert/strict'
import { chunker } from '../../src/objects/chunker.js'
import { randomBytes } from '../reads/memory-chunks.js'

async function cut (pieces: Uint8Array[], size: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  async function * src (): AsyncGenerator<Uint8Array> { yield * pieces }
  for await (const c of chunker(src(), size)) out.push(c)
  return out
}

describe('objects/chunker', () => {
  const data = randomBytes(10_000, 3)

  it('cuts any piece pattern into exact chunks, the last one short', async () => {
    for (const pieceSize of [1, 7, 999, 1000, 1001, 4096, 10_000]) {
      const pieces: Uint8Array[] = []
      for (let at = 0; at < data.length; at += pieceSize) pieces.push(data.subarray(at, at + pieceSize))
      const chunks = await cut(pieces, 1000)
      assert.deepEqual(chunks.map(c => c.byteLength), Array(10).fill(1000), `pieces of ${pieceSize}`)
      assert.deepEqual(Buffer.concat(chunks), Buffer.from(data))
    }
    const odd = await cut([data.subarray(0, 2500)], 1000)
    assert.deepEqual(odd.map(c => c.byteLength), [1000, 1000, 500])
  })

  it('passes whole chunks of a large piece through as views, without copying', async () => {
    const chunks = await cut([data], 1000)
    assert.ok(chunks.every(c => c.buffer === data.buffer))
    // a small object is one view of its only piece
    const small = data.subarray(0, 10)
    const [one] = await cut([small], 1000)
    assert.equal(one?.buffer, data.buffer)
  })

  it('yields nothing for an empty source', async () => {
    assert.deepEqual(await cut([], 1000), [])
    assert.deepEqual(await cut([new Uint8Array(0)], 1000), [])
  })
})
