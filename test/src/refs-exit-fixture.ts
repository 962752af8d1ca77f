/**
 * A client in its own process: connects to a mesh, writes and reads a ref,
 * lists, closes everything, and then must exit on its own (nothing may keep
 * the event loop alive). Takes `{ seed, meshKey }` as JSON; prints one line
 * when closed.
 */
import '@weft/protocol/polyfill'
import { connectMesh, createBuckets, createRefClient } from './refs-client.js'

const { seed, meshKey } = JSON.parse(process.argv[2] ?? '{}') as { seed: string, meshKey: string }
const mesh = await connectMesh({ seeds: [seed], meshKey, timings: { downAfterMs: 2000, resyncMs: 200 } })
const refs = createRefClient(mesh)
const buckets = createBuckets({ refs, mesh })
await buckets.createBucket('exit-test', { replicas: 1 })
const { policy } = await buckets.getBucket('exit-test')
await refs.deleteRef('exit-test', 'k', policy)
await refs.getRef('exit-test', 'k', policy)
await mesh.chunkClient.has(mesh.libp2p.getPeers()[0]!, [])
await new Promise(resolve => setTimeout(resolve, 500))
await refs.close()
await mesh.close()
process.stdout.write(JSON.stringify({ closedAt: Date.now() }) + '\n')
