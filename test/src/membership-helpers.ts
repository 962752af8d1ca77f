import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createNode, generateMeshKey } from '@weft/node'
import type { Liveness, WeftNode, WeftNodeInit } from '@weft/node'
import type { ChildProcess } from 'node:child_process'

/** Short timings so failure detection fits in a test. */
export const TIMINGS = { heartbeatMs: 200, suspectAfterMs: 1000, downAfterMs: 2000, outAfterMs: 4000 }

/** Everything a test started, torn down in afterEach even when the test failed. */
export class Harness {
  readonly meshKey = new TextDecoder().decode(generateMeshKey())
  readonly nodes: WeftNode[] = []
  readonly dirs: string[] = []
  readonly children: ChildProcess[] = []
  readonly cleanups: Array<() => Promise<void>> = []

  async dir (): Promise<string> {
    const d = await mkdtemp(path.join(os.tmpdir(), 'weft-members-'))
    this.dirs.push(d)
    return d
  }

  async node (init: Partial<WeftNodeInit> = {}): Promise<WeftNode> {
    const node = await createNode({
      dataDir: init.dataDir ?? await this.dir(),
      meshKey: this.meshKey,
      timings: TIMINGS,
      capacityBytes: 1e9,
      ...init
    })
    this.nodes.push(node)
    await node.start()
    return node
  }

  /** A seed and n - 1 nodes joining through it, started concurrently. */
  async cluster (n: number, init: Partial<WeftNodeInit> = {}): Promise<WeftNode[]> {
    const seed = await this.node(init)
    const seeds = [addr(seed)]
    const rest = await Promise.all(Array.from({ length: n - 1 }, async () => this.node({ ...init, seeds })))
    return [seed, ...rest]
  }

  /** A node in a child process (to SIGKILL it). */
  async child (seeds: string[]): Promise<{ peerId: string, addrs: string[], proc: ChildProcess }> {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'member-node.js')
    const config = { dataDir: await this.dir(), meshKey: this.meshKey, seeds, timings: TIMINGS }
    const proc = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] })
    this.children.push(proc)
    const lines = createInterface({ input: proc.stdout })
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve)
      proc.once('exit', code => { reject(new Error(`child exited with ${code}`)) })
    })
    lines.close()
    return { ...(JSON.parse(first) as { peerId: string, addrs: string[] }), proc }
  }

  async teardown (): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await Promise.allSettled(this.nodes.map(async n => n.stop()))
    await Promise.allSettled(this.cleanups.map(async c => c()))
    await Promise.allSettled(this.dirs.map(async d => rm(d, { recursive: true, force: true })))
  }
}

export function addr (node: WeftNode): string {
  const a = node.getMultiaddrs()[0]
  if (a == null) throw new Error('node has no address')
  return a.toString()
}

export async function waitFor (what: string, predicate: () => boolean, timeoutMs = 15_000, intervalMs = 25): Promise<number> {
  const start = performance.now()
  while (!predicate()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
  return performance.now() - start
}

export function livenessOf (observer: WeftNode, peerId: string): Liveness | undefined {
  return observer.member(peerId)?.liveness
}

export function allSee (nodes: WeftNode[], peerIds: string[], liveness: Liveness): boolean {
  return nodes.every(n => peerIds.every(id => n.member(id)?.liveness === liveness))
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
