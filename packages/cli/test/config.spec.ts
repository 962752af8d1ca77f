import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { readConfigIn, resolveConnection, writeConfigIn } from '../src/config.js'
import { CliError } from '../src/errors.js'

describe('resolveConnection', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'weft-cli-config-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('finds the nearest .weft/config.json above the working folder', async () => {
    await mkdir(path.join(dir, '.weft'))
    await writeFile(path.join(dir, '.weft', 'config.json'), JSON.stringify({ seeds: ['/ip4/127.0.0.1/tcp/1/p2p/x'], meshKeyFile: 'mesh.key' }))
    const nested = path.join(dir, 'a', 'b')
    await mkdir(nested, { recursive: true })
    const resolved = await resolveConnection({}, {}, nested)
    assert.deepEqual(resolved.seeds, ['/ip4/127.0.0.1/tcp/1/p2p/x'])
    assert.equal(resolved.meshKeyFile, path.join(dir, '.weft', 'mesh.key'))
  })

  it('prefers flags over the environment over the config file', async () => {
    await mkdir(path.join(dir, '.weft'))
    await writeFile(path.join(dir, '.weft', 'config.json'), JSON.stringify({ seeds: ['/from/file'], meshKeyFile: 'file.key' }))
    const env = { WEFT_SEED: '/from/env1, /from/env2', WEFT_MESH_KEY: '/keys/env.key' }
    const fromEnv = await resolveConnection({}, env, dir)
    assert.deepEqual(fromEnv.seeds, ['/from/env1', '/from/env2'])
    assert.equal(fromEnv.meshKeyFile, '/keys/env.key')
    const fromFlags = await resolveConnection({ seed: ['/from/flag'], meshKey: '/keys/flag.key' }, env, dir)
    assert.deepEqual(fromFlags.seeds, ['/from/flag'])
    assert.equal(fromFlags.meshKeyFile, '/keys/flag.key')
  })

  it('says what to do when nothing points at a mesh', async () => {
    await assert.rejects(resolveConnection({}, {}, dir), (err: unknown) => {
      assert.ok(err instanceof CliError)
      assert.match(err.message, /weft up/)
      return true
    })
  })

  it('rejects a broken config file with advice', async () => {
    await mkdir(path.join(dir, '.weft'))
    await writeFile(path.join(dir, '.weft', 'config.json'), '{ not json')
    await assert.rejects(resolveConnection({}, {}, dir), /not valid JSON/)
  })

  it('writes the mesh key path relative to the config, and reads back what weft up stored', async () => {
    const weft = path.join(dir, '.weft')
    await writeConfigIn(weft, {
      seeds: ['/ip4/127.0.0.1/tcp/1/p2p/x'],
      meshKeyFile: path.join(weft, 'mesh.key'),
      admin: ['http://127.0.0.1:2'],
      nodes: [{ name: 'node-1', dataDir: 'node-1', zone: 'local/zone-a', listenPort: 1, adminPort: 2, pid: 42 }],
      upPid: 41
    })
    const raw = JSON.parse(await readFile(path.join(weft, 'config.json'), 'utf8')) as { meshKeyFile: string }
    assert.equal(raw.meshKeyFile, 'mesh.key')
    const back = await readConfigIn(weft)
    assert.equal(back?.meshKeyFile, path.join(weft, 'mesh.key'))
    assert.equal(back?.upPid, 41)
    assert.deepEqual(back?.nodes?.map(n => [n.name, n.listenPort, n.pid]), [['node-1', 1, 42]])
    assert.equal(await readConfigIn(path.join(dir, 'none')), undefined)
  })
})
