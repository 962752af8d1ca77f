/**
 * Runs the compiled `weft` bin as real child processes and makes sure none
 * outlives a test: every process spawned (and every node a `weft up` reports
 * in its config.json) is killed in `cleanup()`.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

export const BIN = fileURLToPath(new URL('../../../packages/cli/dist/src/bin.js', import.meta.url))

export interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A `weft` process still running: its output so far, lines as they come, its end. */
export class CliProcess {
  readonly proc: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<Finished>
  private readonly lines: string[] = []
  private readonly waiters: Array<() => void> = []

  constructor (args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    this.proc = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.stdout += line + '\n'
      this.lines.push(line)
      for (const w of this.waiters.splice(0)) w()
    })
    this.proc.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString() })
    this.exited = new Promise(resolve => {
      this.proc.once('close', (code, signal) => {
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })
        for (const w of this.waiters.splice(0)) w()
      })
    })
  }

  get pid (): number {
    return this.proc.pid ?? -1
  }

  get running (): boolean {
    return this.proc.exitCode == null && this.proc.signalCode == null
  }

  /** The first stdout line matching `re`; fails if the process ends or time runs out first. */
  async line (re: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hit = this.lines.find(l => re.test(l))
      if (hit != null) return hit
      if (!this.running) throw new Error(`weft exited (${this.proc.exitCode ?? this.proc.signalCode}) before printing ${re}; stderr: ${this.stderr}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no line matching ${re} within ${timeoutMs} ms; stdout: ${this.stdout}; stderr: ${this.stderr}`)
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  async exit (timeoutMs: number): Promise<Finished> {
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => { reject(new Error(`weft did not exit within ${timeoutMs} ms; stderr: ${this.stderr}`)) }, timeoutMs)
        })
      ])
    } finally {
      clearTimeout(timer)
    }
  }
}

export class Cli {
  readonly procs: CliProcess[] = []
  /** `.weft` dirs whose config.json may list node pids to kill */
  readonly upDirs: string[] = []
  readonly env: NodeJS.ProcessEnv

  constructor () {
    const env = { ...process.env }
    delete env.WEFT_SEED
    delete env.WEFT_MESH_KEY
    delete env.DEBUG
    this.env = env
  }

  start (args: string[], cwd: string): CliProcess {
    const p = new CliProcess(args, cwd, this.env)
    this.procs.push(p)
    return p
  }

  async run (args: string[], cwd: string, timeoutMs = 30_000): Promise<Finished> {
    return this.start(args, cwd).exit(timeoutMs)
  }

  async cleanup (): Promise<void> {
    const pids = new Set<number>()
    for (const p of this.procs) if (p.running) pids.add(p.pid)
    for (const dir of this.upDirs) {
      for (const pid of await nodePids(dir)) pids.add(pid)
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await Promise.all(this.procs.map(async p => p.exited))
  }
}

/** Pids of the nodes a `weft up` listed in `<dir>/config.json`. */
export async function nodePids (dir: string): Promise<number[]> {
  try {
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { nodes?: Array<{ pid?: number }> }
    return (config.nodes ?? []).map(n => n.pid).filter((p): p is number => typeof p === 'number')
  } catch {
    return []
  }
}

export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls until `check` returns a value (not undefined) or time runs out. */
export async function until<T> (check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`)
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

/** The error contract: one line on stderr, no stack trace. */
export function oneLine (stderr: string): string {
  const lines = stderr.trimEnd().split('\n')
  if (lines.length !== 1 || lines[0] === '') throw new Error(`expected exactly one line on stderr, got ${lines.length}: ${stderr}`)
  if (/^\s+at /m.test(stderr)) throw new Error(`stack trace on stderr: ${stderr}`)
  return lines[0] ?? ''
}
