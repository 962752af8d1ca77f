import assert from 'node:assert/strict'
import { formatBulkAddr, parseBulkAddr } from '../../src/bulk/addr.js'
import { BulkHelloStatus, decodeHello, encodeHello } from '../../src/bulk/hello.js'

describe('bulk addresses and hello', () => {
  it('parses both text forms and formats multiaddrs', () => {
    assert.deepEqual(parseBulkAddr('/ip4/10.0.0.5/tcp/4002'), { host: '10.0.0.5', port: 4002 })
    assert.deepEqual(parseBulkAddr('/ip6/::1/tcp/1'), { host: '::1', port: 1 })
    assert.deepEqual(parseBulkAddr('/dns4/node-3.example.org/tcp/65535'), { host: 'node-3.example.org', port: 65535 })
    assert.deepEqual(parseBulkAddr('10.0.0.5:4002'), { host: '10.0.0.5', port: 4002 })
    assert.deepEqual(parseBulkAddr('[fe80::1]:9'), { host: 'fe80::1', port: 9 })
    assert.deepEqual(parseBulkAddr('box.lan:80'), { host: 'box.lan', port: 80 })
    for (const bad of ['', '/ip4/10.0.0.5/udp/4002', '/ip4/999.0.0.1/tcp/1', '/ip4/10.0.0.5/tcp/0', '/ip4/10.0.0.5/tcp/65536',
      '/ip4/10.0.0.5/tcp/1/p2p/x', '10.0.0.5', '10.0.0.5:', ':80', '[10.0.0.5]:80', 'a b:1', '/ip6/10.0.0.1/tcp/5']) {
      assert.throws(() => parseBulkAddr(bad), TypeError, bad)
    }
    assert.equal(formatBulkAddr({ host: '127.0.0.1', port: 7 }), '/ip4/127.0.0.1/tcp/7')
    assert.equal(formatBulkAddr({ host: '::1', port: 7 }), '/ip6/::1/tcp/7')
    assert.equal(formatBulkAddr({ host: 'box.lan', port: 7 }), '/dns/box.lan/tcp/7')
    for (const a of [{ host: '127.0.0.1', port: 7 }, { host: '::1', port: 80 }]) {
      assert.deepEqual(parseBulkAddr(formatBulkAddr(a)), a)
    }
  })

  it('round-trips the hello and refuses anything else', () => {
    for (const s of [BulkHelloStatus.READY, BulkHelloStatus.NOT_ALLOWED, BulkHelloStatus.BUSY]) {
      assert.equal(decodeHello(encodeHello(s)), s)
    }
    const hello = encodeHello(BulkHelloStatus.READY)
    for (const [i, v] of [[0, 0x58], [4, 2], [5, 9], [6, 1], [7, 1]] as const) {
      const bad = hello.slice()
      bad[i] = v
      assert.throws(() => decodeHello(bad), { code: 'ERR_BULK_HANDSHAKE' })
    }
    assert.throws(() => decodeHello(hello.subarray(0, 7)), { code: 'ERR_BULK_HANDSHAKE' })
  })
})
