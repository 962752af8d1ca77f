import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import path from 'node:path'
import { localZone, planNodes } from '../../src/up/plan.js'
import type { AddressInfo } from 'node:net'

describe('weft up plan', () => {
  it('gives every node its own zone', () => {
    const zones = Array.from({ length: 16 }, (_, i) => localZone(i))
    assert.equal(new Set(zones).size, 16)
    assert.equal(zones[0], 'local/zone-a/rack-1/host-1')
  })

  it('reuses the last run\'s dirs and free ports, and picks new ones for ports now taken', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const taken = (server.address() as AddressInfo).port
    try {
      const plans = await planNodes('/tmp/w/.weft', 2, [
        { name: 'node-1', dataDir: 'node-1', zone: 'z/1', listenPort: taken, adminPort: 0 },
        { name: 'node-2', dataDir: 'node-2', zone: 'z/2' }
      ])
      assert.deepEqual(plans.map(p => [p.name, p.dataDir, p.zone]), [
        ['node-1', path.join('/tmp/w/.weft', 'node-1'), 'z/1'],
        ['node-2', path.join('/tmp/w/.weft', 'node-2'), 'z/2']
      ])
      assert.equal(plans[0]?.listenPort, 0, 'a taken port is not reused')
      assert.deepEqual(plans[0]?.moved, [`libp2p port ${taken}`])
    } finally {
      server.close()
    }
  })
})
