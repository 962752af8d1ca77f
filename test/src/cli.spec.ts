/**
 * The `weft` command as people run it: the compiled bin in child processes,
 * in temp folders, over real TCP on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { generateMeshKey } from '@weft/node'
import { parseMeshKey } from '@weft/protocol'
import { Cli, isAlive, nodePids, oneLine, until } from './cli-helpers.js'
import type { Server } from 'node:net'

interface StatusJson {
  peerId: string
  members: Array<{ peerId: string, state: string, zone: string, self: boolean, chunks: number | null }>
}

describe('weft (the command, multi-process)', function () {
  this.timeout(120_000)
  let cli: Cli
  let dir: string
  const servers: Server[] = []

  beforeEach(async () => {
    cli = new Cli()
    dir = await mkdtemp(path.join(os.tmpdir(), 'weft-cli-'))
  })

  afterEach(async () => {
    await cli.cleanup()
    for (const s of servers.splice(0)) s.close()
    await rm(dir, { recursive: true, force: true })
  })

  const weftDir = (): string => path.join(dir, '.weft')

  async function status (): Promise<StatusJson> {
    const r = await cli.run(['status', '--json'], dir)
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout) as StatusJson
  }

  /** A mesh key file, written here (faster than running `weft init`). */
  async function keyFile (): Promise<string> {
    const file = path.join(dir, 'test.key')
    await writeFile(file, generateMeshKey(), { mode: 0o600 })
    return file
  }

  /** A port something already listens on. */
  async function takenPort (): Promise<number> {
    const server = createServer()
    servers.push(server)
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as { port: number }).port
  }

  it('init writes a private mesh key and a config file, and keeps them on a second run', async () => {
    const first = await cli.run(['init'], dir)
    assert.equal(first.code, 0, first.stderr)
    const keyFile = path.join(weftDir(), 'mesh.key')
    const key = await readFile(keyFile)
    await parseMeshKey(key)
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600)
    const config = JSON.parse(await readFile(path.join(weftDir(), 'config.json'), 'utf8')) as { meshKeyFile: string }
    assert.equal(config.meshKeyFile, 'mesh.key')
    assert.match(first.stdout, /weft up/)
    const second = await cli.run(['init'], dir)
    assert.equal(second.code, 0, second.stderr)
    assert.deepEqual(await readFile(keyFile), key, 'a second init must not replace the key')
  })

  it('up runs 3 nodes that status lists as up, a node started elsewhere joins, a wrong key is refused, Ctrl-C stops them all', async () => {
    cli.upDirs.push(weftDir())
    const up = cli.start(['up', '--nodes', '3'], dir)
    const seed = (await up.line(/^seed\s/, 60_000)).split(/\s+/)[1] ?? ''
    assert.match(seed, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
    const pids = await nodePids(weftDir())
    assert.equal(pids.length, 3)
    assert.ok(pids.every(isAlive))

    const three = await status()
    assert.equal(three.members.length, 3)
    assert.deepEqual(three.members.map(m => m.state), ['up', 'up', 'up'])
    assert.equal(new Set(three.members.map(m => m.zone)).size, 3, 'each node in its own zone')
    assert.ok(three.members.every(m => m.chunks === 0), 'each node reports its own chunk count')

    // another process joins through the seed (the key comes from the nearest .weft/config.json);
    // at the same time, one with another mesh's key is turned away
    const joiner = cli.start(['node', 'start', '--data', path.join(dir, 'n4'), '--zone', 'local/zone-d', '--seed', seed], dir)
    const otherKey = path.join(dir, 'other')
    assert.equal((await cli.run(['init', '--dir', otherKey], dir)).code, 0)
    const stranger = cli.start(['node', 'start', '--data', path.join(dir, 'n5'), '--seed', seed, '--mesh-key', path.join(otherKey, 'mesh.key')], dir)
    const wrongKeyLs = cli.start(['ls', 'demo', '--mesh-key', path.join(otherKey, 'mesh.key')], dir)
    const joinerAddr = await joiner.line(/^\/ip4\//, 30_000)
    const joinerId = joinerAddr.split('/p2p/')[1] ?? ''
    await until(async () => {
      const s = await status()
      return s.members.some(m => m.peerId === joinerId && m.state === 'up') ? true : undefined
    }, 30_000, 'the fourth node to be up in the map')

    // (while those two find out) data commands find the mesh through .weft/config.json; a file round-trips byte for byte
    const data = randomBytes(5 * 2 ** 20 + 12345)
    await writeFile(path.join(dir, 'in.bin'), data)
    const create = await cli.run(['bucket', 'create', 'demo'], dir)
    assert.equal(create.code, 0, create.stderr)
    const put = await cli.run(['put', 'in.bin', 'demo/data/in.bin'], dir)
    assert.equal(put.code, 0, put.stderr)
    assert.equal(put.stderr, '', 'no progress bar when stderr is not a terminal')
    const got = await cli.run(['get', 'demo/data/in.bin', 'out.bin'], dir)
    assert.equal(got.code, 0, got.stderr)
    assert.ok(data.equals(await readFile(path.join(dir, 'out.bin'))), 'get returns the bytes put stored')
    const ls = await cli.run(['ls', 'demo/data/', '--json'], dir)
    assert.equal(ls.code, 0, ls.stderr)
    assert.deepEqual(ls.stdout.trim().split('\n').map(l => (JSON.parse(l) as { key: string, size: number })).map(o => [o.key, o.size]), [['data/in.bin', data.length]])
    const missing = await cli.run(['get', 'demo/nothing'], dir)
    assert.equal(missing.code, 1)
    assert.match(oneLine(missing.stderr), /no object demo\/nothing/)

    const lsRefused = await wrongKeyLs.exit(45_000)
    assert.equal(lsRefused.code, 1)
    assert.match(oneLine(lsRefused.stderr), /is the mesh key right\?/)
    const refused = await stranger.exit(45_000)
    assert.equal(refused.code, 1)
    assert.match(oneLine(refused.stderr), /is the mesh key right\?/)
    const strangerId = (refused.stdout.split('\n')[0] ?? '').split('/p2p/')[1]
    assert.match(strangerId ?? '', /^12D3KooW/)
    assert.ok(!(await status()).members.some(m => m.peerId === strangerId), 'a node with another key never enters the map')

    // four nodes, r = 3: node-2 can drain; its data moves to the others and it says when it can go
    const drain = await cli.run(['node', 'drain', 'node-2'], dir)
    assert.equal(drain.code, 0, drain.stderr)
    assert.match(drain.stdout, /^draining 12D3KooW/)
    assert.match(drain.stdout, /drained: .* holds nothing the mesh needs/)
    assert.equal((await status()).members.filter(m => m.state === 'draining').length, 1, 'the drained node shows as draining')
    const again = await cli.run(['get', 'demo/data/in.bin', 'out2.bin'], dir)
    assert.equal(again.code, 0, again.stderr)
    assert.ok(data.equals(await readFile(path.join(dir, 'out2.bin'))), 'the object reads back after the drain')

    joiner.proc.kill('SIGTERM')
    const left = await joiner.exit(30_000)
    assert.equal(left.code, 0, left.stderr)

    up.proc.kill('SIGINT')
    const stopped = await up.exit(45_000)
    assert.equal(stopped.code, 0, stopped.stderr)
    assert.match(stopped.stdout, /stopped 3 nodes/)
    for (const pid of pids) assert.ok(!isAlive(pid), `node process ${pid} still running`)
  })

  it('up again reuses the data (same peer ids) and stops on SIGTERM', async () => {
    cli.upDirs.push(weftDir())
    const first = cli.start(['up', '--nodes', '1'], dir)
    await first.line(/^seed\s/, 60_000)
    const before = JSON.parse(await readFile(path.join(weftDir(), 'config.json'), 'utf8')) as { nodes: Array<{ peerId: string, listenPort: number }> }
    first.proc.kill('SIGINT')
    assert.equal((await first.exit(30_000)).code, 0)

    const again = cli.start(['up', '--nodes', '1'], dir)
    await again.line(/^seed\s/, 60_000)
    assert.match(again.stdout, /reused/)
    const after = JSON.parse(await readFile(path.join(weftDir(), 'config.json'), 'utf8')) as { nodes: Array<{ peerId: string, listenPort: number, pid: number }> }
    assert.equal(after.nodes[0]?.peerId, before.nodes[0]?.peerId)
    assert.equal(after.nodes[0]?.listenPort, before.nodes[0]?.listenPort)
    const second = cli.start(['up'], dir)
    const refused = await second.exit(30_000)
    assert.equal(refused.code, 1)
    assert.match(oneLine(refused.stderr), /already running/)
    again.proc.kill('SIGTERM')
    assert.equal((await again.exit(30_000)).code, 0)
    assert.ok(!isAlive(after.nodes[0]?.pid ?? -1))
  })

  describe('bad input: non-zero exit, one clear line, no stack trace', () => {
    it('an unknown command is a usage error (exit 2)', async () => {
      const r = await cli.run(['stauts'], dir)
      assert.equal(r.code, 2)
      assert.match(oneLine(r.stderr), /unknown command 'stauts'.*status/)
    })

    it('a bad option value is a usage error (exit 2)', async () => {
      const r = await cli.run(['node', 'start', '--data', 'd', '--capacity', 'lots'], dir)
      assert.equal(r.code, 2)
      assert.match(oneLine(r.stderr), /"lots" is not a size/)
    })

    it('a missing mesh key file', async () => {
      const r = await cli.run(['node', 'start', '--data', 'd', '--mesh-key', 'nope/mesh.key'], dir)
      assert.equal(r.code, 1)
      assert.match(oneLine(r.stderr), /mesh key .*nope\/mesh\.key does not exist.*weft init/)
    })

    it('a listen port in use', async () => {
      const port = await takenPort()
      const r = await cli.run(['node', 'start', '--data', 'd', '--mesh-key', await keyFile(), '--listen', `/ip4/127.0.0.1/tcp/${port}`], dir)
      assert.equal(r.code, 1)
      assert.equal(oneLine(r.stderr), `weft: port 127.0.0.1:${port} is in use: pick another with --listen (or stop what holds it)`)
    })

    it('an admin port in use', async () => {
      const port = await takenPort()
      const r = await cli.run(['node', 'start', '--data', 'd', '--mesh-key', await keyFile(), '--admin', `127.0.0.1:${port}`], dir)
      assert.equal(r.code, 1)
      assert.match(oneLine(r.stderr), new RegExp(`port 127\\.0\\.0\\.1:${port} is in use: pick another with --admin`))
    })

    it('an admin URL nobody answers', async () => {
      const server = createServer()
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      const port = (server.address() as { port: number }).port
      await new Promise<void>(resolve => server.close(() => { resolve() }))
      const r = await cli.run(['status', '--admin', `127.0.0.1:${port}`], dir)
      assert.equal(r.code, 1)
      assert.match(oneLine(r.stderr), /cannot reach admin .*connection refused.*weft up/)
    })

    it('a file that does not exist', async () => {
      const r = await cli.run(['put', 'nope.bin', 'demo/x'], dir)
      assert.equal(r.code, 1)
      assert.equal(oneLine(r.stderr), 'weft: no such file: nope.bin')
    })

    it('a bad bucket name', async () => {
      const r = await cli.run(['bucket', 'create', 'Bad_Name'], dir)
      assert.equal(r.code, 2)
      assert.match(oneLine(r.stderr), /bucket name "Bad_Name" may contain only lowercase letters/)
    })

    it('a seed nobody answers', async () => {
      const server = createServer()
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      const port = (server.address() as { port: number }).port
      await new Promise<void>(resolve => server.close(() => { resolve() }))
      const seed = `/ip4/127.0.0.1/tcp/${port}/p2p/12D3KooWEgQFAxwLCNmC1sS1FDtRzUXLqvY9VkiSN4LjJNMFG58K`
      const r = await cli.run(['ls', 'demo', '--seed', seed, '--mesh-key', await keyFile()], dir)
      assert.equal(r.code, 1)
      assert.equal(oneLine(r.stderr), `weft: cannot reach seed ${seed}: connection refused; is a mesh running? try \`weft up\``)
    })

    it('status with nothing to ask', async () => {
      const r = await cli.run(['status'], dir)
      assert.equal(r.code, 1)
      assert.match(oneLine(r.stderr), /no admin URL/)
    })
  })
})
