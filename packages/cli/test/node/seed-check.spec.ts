import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { diagnoseJoin, probeSeed } from '../../src/node/seed-check.js'
import type { AddressInfo, Server } from 'node:net'

describe('seed check', () => {
  let server: Server
  let open: number
  let closed: number

  before(async () => {
    const probe = createServer()
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
    closed = (probe.address() as AddressInfo).port
    await new Promise<void>(resolve => probe.close(() => { resolve() }))
    // accepts TCP and never says a word: what a wrong mesh key looks like from outside
    server = createServer(() => {})
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    open = (server.address() as AddressInfo).port
  })

  after(() => {
    server.close()
  })

  it('tells a listening seed from a refused one', async () => {
    assert.equal(await probeSeed(`/ip4/127.0.0.1/tcp/${open}/p2p/12D3KooWx`), 'listening')
    assert.equal(await probeSeed(`/ip4/127.0.0.1/tcp/${closed}/p2p/12D3KooWx`), 'refused')
    assert.equal(await probeSeed('/unix/tmp/sock'), 'unknown')
  })

  it('calls a seed that answers TCP but gives no connection a key problem, and a refused one worth waiting for', async () => {
    const wrongKey = await diagnoseJoin([`/ip4/127.0.0.1/tcp/${open}/p2p/12D3KooWx`], 0, 'mesh abc')
    assert.equal(wrongKey.fatal, true)
    assert.match(wrongKey.message, /is the mesh key right\?/)
    const down = await diagnoseJoin([`/ip4/127.0.0.1/tcp/${closed}/p2p/12D3KooWx`], 0, 'mesh abc')
    assert.equal(down.fatal, false)
    assert.match(down.message, /connection refused.*still trying/)
    const connected = await diagnoseJoin([`/ip4/127.0.0.1/tcp/${open}/p2p/12D3KooWx`], 1, 'mesh abc')
    assert.equal(connected.fatal, false)
  })
})
