/**
 * Embedding the weft client: create a bucket, put objects (bytes and a
 * stream), get them back (whole, a range, as a Node stream), list them.
 *
 *   node examples/dist/src/embed.js                     # on a 3-node mesh started here
 *   node examples/dist/src/embed.js --seed /ip4/127.0.0.1/tcp/4001/p2p/12D3... --mesh-key .weft/mesh.key
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { connect } from '@weft/client'
import { openMesh } from './local-mesh.js'

const mesh = await openMesh()
const client = await connect({ seeds: mesh.seeds, meshKey: mesh.meshKey, zone: 'local/zone-0' })
try {
  console.log(`connected as ${client.peerId}: ${client.mesh.getMap().nodes.length} nodes`)
  const bucket = `embed-${Date.now().toString(36)}`
  await client.createBucket(bucket, { replicas: 2 })

  // a small object from bytes, with a content type and metadata
  const hello = new TextEncoder().encode('hello, weft\n')
  await client.put(bucket, 'greetings/hello.txt', hello, { contentType: 'text/plain', metadata: { lang: 'en' } })

  // a larger one from a stream: 3 chunks and a bit, never all in memory
  const size = 12 * 1024 * 1024 + 7
  const source = Readable.from((function * () {
    for (let at = 0; at < size; at += 1 << 20) yield new Uint8Array(Math.min(1 << 20, size - at)).fill(at >> 20)
  })())
  const put = await client.put(bucket, 'data/blob.bin', source, {
    onProgress: e => { if (e.type === 'put:chunk') process.stdout.write(`\rstored ${(e.bytes / 2 ** 20).toFixed(1)} MiB`) }
  })
  console.log(`\nput ${put.key}: ${put.size} bytes in ${put.chunks} chunks, etag ${put.etag}`)

  // get it back: whole, a range, and piped through a Node stream
  console.log('text:', JSON.stringify(new TextDecoder().decode(await client.get(bucket, 'greetings/hello.txt').bytes())))
  const range = await client.get(bucket, 'data/blob.bin', { range: { offset: 4 * 2 ** 20 - 2, length: 4 } }).bytes()
  console.log('4 bytes across a chunk boundary:', [...range])
  const hash = createHash('sha256')
  await pipeline(client.get(bucket, 'data/blob.bin').toNodeReadable(), new Writable({ write (chunk: Buffer, _e, cb) { hash.update(chunk); cb() } }))
  console.log('sha256 of the blob:', hash.digest('hex').slice(0, 16), '...')

  const head = await client.head(bucket, 'greetings/hello.txt')
  console.log('head:', head.size, head.contentType, head.metadata)

  for await (const o of client.list(bucket)) console.log(`list: ${o.key} ${o.size} B`)

  await client.delete(bucket, 'greetings/hello.txt')
  await client.delete(bucket, 'data/blob.bin')
  await client.deleteBucket(bucket)
  console.log('read stats:', JSON.stringify({ ...client.readStats(), peers: undefined }))
} finally {
  await client.close()
  await mesh.stop()
}
