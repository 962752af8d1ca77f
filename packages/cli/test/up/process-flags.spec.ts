import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { NODE_PROCESS_V8_FLAGS } from '@weft/node'
import { childNodeArgv } from '../../src/up/child.js'

describe('node process flags', () => {
  it('weft up starts every child node with them, before the script', () => {
    const argv = childNodeArgv('/x/bin.js', ['--data-dir', 'd'])
    assert.deepEqual(argv.slice(0, NODE_PROCESS_V8_FLAGS.length + 1), [...NODE_PROCESS_V8_FLAGS, '/x/bin.js'])
    assert.deepEqual(argv.slice(NODE_PROCESS_V8_FLAGS.length + 1, NODE_PROCESS_V8_FLAGS.length + 5), ['node', 'start', '--data-dir', 'd'])
  })

  it('the weft command passes them to node on its first line', async () => {
    // dist/test/up -> dist/src/bin.js, the file npm links as `weft`
    const bin = await readFile(new URL('../../src/bin.js', import.meta.url), 'utf8')
    const shebang = bin.split('\n', 1)[0]
    assert.equal(shebang, `#!/usr/bin/env -S node ${NODE_PROCESS_V8_FLAGS.join(' ')}`)
  })
})
