import assert from 'node:assert/strict'
import { CliError } from '../src/errors.js'
import { explainNodeError } from '../src/explain.js'

describe('explainNodeError', () => {
  it('turns libp2p\'s listen failure into the port and the flag to change', () => {
    const err = Object.assign(new Error('Some configured addresses failed to be listened on, you may need to ...:\n\n  /ip4/127.0.0.1/tcp/4001: Error: listen EADDRINUSE: address already in use 127.0.0.1:4001\n      at Server.setupListenHandle'), { name: 'UnsupportedListenAddressesError' })
    const out = explainNodeError(err)
    assert.ok(out instanceof CliError)
    assert.equal(out.message, 'port 127.0.0.1:4001 is in use: pick another with --listen (or stop what holds it)')
  })

  it('says which data dir another node holds', () => {
    const err = Object.assign(new Error('Database failed to open'), { code: 'LEVEL_DATABASE_NOT_OPEN', cause: Object.assign(new Error('lock held'), { code: 'LEVEL_LOCKED' }) })
    const out = explainNodeError(err, { dataDir: '/var/lib/weft' })
    assert.ok(out instanceof CliError)
    assert.match(out.message, /data dir \/var\/lib\/weft is in use by another weft node/)
  })

  it('leaves what it does not know alone', () => {
    const err = new Error('something else')
    assert.equal(explainNodeError(err), err)
  })
})
