import assert from 'node:assert/strict'
import { parseHostPort, peerIdOf, pickAddress, shortPeer, tcpOf } from '../src/addr.js'

describe('addr', () => {
  it('parses --admin as host:port, [v6]:port or a bare port', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:9301'), { host: '127.0.0.1', port: 9301 })
    assert.deepEqual(parseHostPort('[::1]:9301'), { host: '::1', port: 9301 })
    assert.deepEqual(parseHostPort('9301'), { host: '127.0.0.1', port: 9301 })
    assert.throws(() => parseHostPort('127.0.0.1'), /not HOST:PORT/)
    assert.throws(() => parseHostPort('127.0.0.1:70000'), /not HOST:PORT/)
  })

  it('reads the TCP part and the peer id of a multiaddr', () => {
    const ma = '/ip4/10.0.0.5/tcp/4001/p2p/12D3KooWabc'
    assert.deepEqual(tcpOf(ma), { host: '10.0.0.5', port: 4001 })
    assert.deepEqual(tcpOf('/dns4/box.example/tcp/4001'), { host: 'box.example', port: 4001 })
    assert.equal(tcpOf('/ip4/10.0.0.5/udp/4001/quic-v1'), undefined)
    assert.equal(peerIdOf(ma), '12D3KooWabc')
    assert.equal(shortPeer('12D3KooWEgQFAxwLCNmC1sS1FDtRzUXLqvY9VkiSN4LjJNMFG58K'), '…JNMFG58K')
  })

  it('prints an announced address first, else one off loopback', () => {
    const addrs = ['/ip4/127.0.0.1/tcp/4001/p2p/X', '/ip4/10.0.0.5/tcp/4001/p2p/X', '/ip4/203.0.113.9/tcp/4001/p2p/X']
    assert.equal(pickAddress(addrs, []), '/ip4/10.0.0.5/tcp/4001/p2p/X')
    assert.equal(pickAddress(addrs, ['/ip4/203.0.113.9/tcp/4001']), '/ip4/203.0.113.9/tcp/4001/p2p/X')
    assert.equal(pickAddress(['/ip4/127.0.0.1/tcp/1/p2p/X'], []), '/ip4/127.0.0.1/tcp/1/p2p/X')
  })
})
