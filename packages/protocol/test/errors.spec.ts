import assert from 'node:assert/strict'
import { WeftError } from '../src/errors.js'

class ExampleError extends WeftError {
  static override readonly code = 'ERR_EXAMPLE'
}

describe('WeftError', () => {
  it('carries the stable code of its class and its own name', () => {
    const err = new ExampleError('boom')
    assert.equal(err.code, 'ERR_EXAMPLE')
    assert.equal(err.name, 'ExampleError')
    assert.ok(err instanceof WeftError)
  })

  it('takes an explicit code for errors decoded from the wire', () => {
    assert.equal(new WeftError('x', 'ERR_REMOTE').code, 'ERR_REMOTE')
  })
})
