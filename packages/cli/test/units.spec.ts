import assert from 'node:assert/strict'
import { formatBytes, parseBytes } from '../src/units.js'

describe('units', () => {
  it('parses sizes people type', () => {
    assert.equal(parseBytes('500GiB'), 500 * 2 ** 30)
    assert.equal(parseBytes('1.5TB'), 1.5e12)
    assert.equal(parseBytes('4096'), 4096)
    assert.equal(parseBytes(' 2 mib '), 2 * 2 ** 20)
  })

  it('refuses what is not a size', () => {
    assert.equal(parseBytes('lots'), undefined)
    assert.equal(parseBytes('5XB'), undefined)
    assert.equal(parseBytes('-1GB'), undefined)
    assert.equal(parseBytes('1e400'), undefined)
  })

  it('formats with binary units', () => {
    assert.equal(formatBytes(512), '512 B')
    assert.equal(formatBytes(1536), '1.5 KiB')
    assert.equal(formatBytes(500 * 2 ** 30), '500 GiB')
  })
})
