import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateMeshKey } from '@weft/node'
import { RefsHarness, TIMINGS, addr, waitFor } from './refs-helpers.js'
import { NoSeedReachableError, connectMesh } from './refs-client.js'
import type { MeshMember } from './refs-client.js'

async function closedPort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

describe('client mesh view (real nodes on 127.0.0.1)', function () {
  this.timeout(30_000)
  let t: RefsHarness

  beforeEach(() => { t = new RefsHarness() })
  afterEach(async () => { await t.teardown() })

  it('connects through one seed of 4 and sees them all, then sees one leave and one vanish', async () => {
    const nodes = await t.cluster(4)
    const ids = nodes.map(n => n.node.peerId).sort()
    const { mesh } = await t.client(nodes[1]!.node)
    await waitFor('the client sees all 4 up', () => mesh.getMap().nodes.filter(n => n.state === 'up').length === 4)
    const map = mesh.getMap()
    assert.deepEqual(map.nodes.map(n => n.peerId), ids)
    assert.ok(map.nodes.every(n => n.weight === 1e9))
    assert.equal(mesh.getMap(), map, 'the same snapshot until something changes')
    assert.equal(mesh.placement(), mesh.placement(), 'placement is memoised per map')
    assert.ok(Object.isFrozen(map) && Object.isFrozen(map.nodes))
    assert.equal(mesh.members().length, 4)
    assert.equal(mesh.member(ids[0]!)?.record.peerId, ids[0])
    // it is not a member: no node has a record of it
    for (const n of nodes) assert.equal(n.node.member(mesh.peerId), undefined)

    const downs: MeshMember[] = []
    const maps: number[] = []
    mesh.addEventListener('member:down', (evt) => { downs.push(evt.detail) })
    const stop = mesh.onChange(m => { maps.push(m.version) })
    // a graceful stop announces `leaving`: down at once, not after downAfterMs
    const leaver = nodes[2]!.node
    const t0 = performance.now()
    await leaver.stop()
    await waitFor('leaver down', () => downs.length === 1, 5000)
    assert.ok(performance.now() - t0 < TIMINGS.downAfterMs, 'leaving is seen from the record, not from silence')
    assert.equal(mesh.member(leaver.peerId)?.state, 'down')
    // a node whose host vanishes (no goodbye) goes silent: down after downAfterMs
    const vanished = nodes[3]!.node
    await vanished.libp2p.stop()
    const t1 = performance.now()
    await waitFor('vanished node down', () => downs.length === 2, 10_000)
    const took = performance.now() - t1
    assert.ok(took >= TIMINGS.downAfterMs * 0.5, `down after ${took.toFixed(0)} ms: only silence can tell`)
    assert.deepEqual(downs.map(d => d.peerId), [leaver.peerId, vanished.peerId])
    assert.equal(mesh.getMap().nodes.find(n => n.peerId === vanished.peerId)?.state, 'down')
    assert.ok(maps.length >= 2 && maps.every((v, i) => i === 0 || v > maps[i - 1]!))
    stop()
    assert.equal(mesh.getMap().nodes.filter(n => n.state === 'up').length, 2)
    assert.ok(mesh.placement().replicaSet(7, { replicas: 2, spread: 'host' }).nodes.every(n => n.peerId !== leaver.peerId && n.peerId !== vanished.peerId))
  })

  it('close() leaves no connection, stream or timer behind: the process exits on its own', async () => {
    const nodes = await t.cluster(2)
    const mesh = await connectMesh({ seeds: [addr(nodes[0]!.node)], meshKey: t.h.meshKey, timings: { downAfterMs: 2000, resyncMs: 300 } })
    await waitFor('both members', () => mesh.getMap().nodes.length === 2)
    await mesh.chunkClient.has(nodes[1]!.node.libp2p.peerId, [])
    await new Promise(resolve => setTimeout(resolve, 700))
    assert.ok(mesh.libp2p.getConnections().length >= 1)
    await mesh.close()
    await mesh.close()
    assert.equal(mesh.status, 'closed')
    assert.equal(mesh.libp2p.status, 'stopped')
    assert.equal(mesh.libp2p.getConnections().length, 0)
    await waitFor('nodes see the client gone', () => nodes.every(n => n.node.libp2p.getConnections(mesh.libp2p.peerId).length === 0), 5000)

    // the same in a process of its own, which must then exit by itself
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'refs-exit-fixture.js')
    const proc = spawn(process.execPath, [script, JSON.stringify({ seed: addr(nodes[0]!.node), meshKey: t.h.meshKey })], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    proc.stdout.on('data', (b: Buffer) => { out += b.toString() })
    const exited = await new Promise<{ code: number | null, at: number }>((resolve) => {
      const timer = setTimeout(() => { proc.kill('SIGKILL') }, 15_000)
      proc.on('exit', (code) => {
        clearTimeout(timer)
        resolve({ code, at: Date.now() })
      })
    })
    assert.equal(exited.code, 0, 'the client process exits cleanly by itself')
    const { closedAt } = JSON.parse(out.trim()) as { closedAt: number }
    assert.ok(exited.at - closedAt < 5000, `exited ${exited.at - closedAt} ms after close`)
  })

  it('an unreachable seed fails fast with ERR_NO_SEED_REACHABLE', async () => {
    const port = await closedPort()
    const start = performance.now()
    await assert.rejects(connectMesh({ seeds: [`/ip4/127.0.0.1/tcp/${port}`], meshKey: t.h.meshKey, timings: { connectTimeoutMs: 1500 } }), (err: Error & { code?: string, failures?: unknown[] }) => {
      assert.ok(err instanceof NoSeedReachableError)
      assert.equal(err.code, 'ERR_NO_SEED_REACHABLE')
      assert.match(err.message, /is a mesh running/)
      assert.ok((err.failures?.length ?? 0) >= 1)
      return true
    })
    const took = performance.now() - start
    assert.ok(took < 5000, `took ${took.toFixed(0)} ms`)
  })

  it('a client with another mesh key cannot connect', async () => {
    const [seed] = await t.cluster(1)
    const otherKey = new TextDecoder().decode(generateMeshKey())
    await assert.rejects(
      connectMesh({ seeds: [addr(seed!.node)], meshKey: otherKey, timings: { dialTimeoutMs: 800, connectTimeoutMs: 2000 } }),
      { code: 'ERR_NO_SEED_REACHABLE' }
    )
    await assert.rejects(connectMesh({ seeds: [addr(seed!.node)] }), { code: 'ERR_MESH_KEY_REQUIRED' })
    await assert.rejects(connectMesh({ seeds: ['not a multiaddr'], meshKey: t.h.meshKey }), TypeError)
    assert.equal(seed!.node.libp2p.getConnections().length, 0)
  })
})
