import assert from 'node:assert/strict'
import { createNodeMetrics } from '../../src/admin/metrics.js'
import { startAdminServer } from '../../src/admin/server.js'
import type { AdminServer } from '../../src/admin/server.js'

describe('admin server', () => {
  let server: AdminServer | undefined

  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('serves Prometheus metrics, status JSON and actions on 127.0.0.1', async () => {
    const metrics = createNodeMetrics({ processMetrics: false, labels: { peer: 'p1' } })
    metrics.usedBytes.set(1234)
    metrics.requests.inc({ op: 'get', status: 'ok' })
    let drained = false
    server = await startAdminServer({
      registry: metrics.registry,
      status: () => ({ peerId: 'p1', state: 'up' }),
      actions: { '/drain': async () => { drained = true; return { draining: true } } }
    })
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)

    const text = await (await fetch(`${server.url}/metrics`)).text()
    assert.match(text, /weft_used_bytes\{peer="p1"\} 1234/)
    assert.match(text, /weft_requests_total\{op="get",status="ok",peer="p1"\} 1/)

    assert.deepEqual(await (await fetch(`${server.url}/status`)).json(), { peerId: 'p1', state: 'up' })
    assert.deepEqual(await (await fetch(`${server.url}/drain`, { method: 'POST' })).json(), { draining: true })
    assert.equal(drained, true)

    const missing = await fetch(`${server.url}/nope`)
    assert.equal(missing.status, 404)
    assert.match((await missing.json() as { error: string }).error, /GET \/status/)
  })

  it('answers 500 with the message when status throws', async () => {
    const metrics = createNodeMetrics({ processMetrics: false })
    server = await startAdminServer({ registry: metrics.registry, status: () => { throw new Error('not started') } })
    const res = await fetch(`${server.url}/status`)
    assert.equal(res.status, 500)
    assert.deepEqual(await res.json(), { error: 'not started' })
  })
})
