import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { dirUsage } from '../src/capacity.js'
import { loadOrCreateIdentity } from '../src/identity.js'
import { loadKnownPeers, saveKnownPeers } from '../src/known-peers.js'
import { SeqStore } from '../src/seq.js'

describe('node state on disk', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'weft-node-state-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('keeps the identity: same key after reload, file mode 0600', async () => {
    const a = await loadOrCreateIdentity(dir)
    const b = await loadOrCreateIdentity(dir)
    assert.ok(a.equals(b))
    assert.equal((await stat(path.join(dir, 'peer.key'))).mode & 0o777, 0o600)
    await writeFile(path.join(dir, 'peer.key'), 'garbage')
    await assert.rejects(loadOrCreateIdentity(dir), { code: 'ERR_INVALID_PEER_KEY' })
  })

  it('never reuses a seq across restarts, reserving in blocks', async () => {
    const s1 = new SeqStore(dir, 4)
    await s1.load()
    const first = await Promise.all([s1.next(), s1.next(), s1.next(), s1.next(), s1.next()])
    assert.deepEqual(first, [1, 2, 3, 4, 5])
    assert.equal((await readFile(path.join(dir, 'seq'), 'utf8')).trim(), '8')
    const s2 = new SeqStore(dir, 4)
    await s2.load()
    assert.equal(await s2.next(), 9)
    await s2.skipPast(100)
    assert.equal(await s2.next(), 101)
    const s3 = new SeqStore(dir, 4)
    await s3.load()
    assert.ok(await s3.next() > 101)
    await writeFile(path.join(dir, 'seq'), 'x')
    await assert.rejects(new SeqStore(dir).load(), { code: 'ERR_CORRUPT_STATE' })
  })

  it('remembers known peers and shrugs off a corrupt file', async () => {
    await saveKnownPeers(dir, [{ peerId: 'a', addrs: ['/ip4/127.0.0.1/tcp/1'] }])
    assert.deepEqual(await loadKnownPeers(dir), [{ peerId: 'a', addrs: ['/ip4/127.0.0.1/tcp/1'] }])
    await writeFile(path.join(dir, 'members.json'), '{')
    assert.deepEqual(await loadKnownPeers(dir), [])
  })

  it('measures a directory tree', async () => {
    await writeFile(path.join(dir, 'a'), new Uint8Array(1000))
    await writeFile(path.join(dir, 'b'), new Uint8Array(24))
    assert.equal(await dirUsage(dir), 1024)
  })
})
