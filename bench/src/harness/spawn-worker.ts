import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

/**
 * Child-process workers speaking JSON lines: the worker prints one JSON object
 * per line on stdout (the first is its hello, e.g. `{"ready":true,"port":1234}`)
 * and reads one JSON command per line on stdin. `harness/worker-io.ts` is the
 * worker's side of this.
 */

export const DEFAULT_HELLO_TIMEOUT_MS = 30_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000
export const DEFAULT_STOP_GRACE_MS = 5_000
const STDERR_TAIL_BYTES = 8192

/** bench/results/profiles, beside the results JSON */
export const PROFILE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../results/profiles')

export interface SpawnWorkerInit {
  /** extra environment variables, merged over this process's */
  env?: Record<string, string | undefined>
  /** a short name for errors and profile file names; @default the script's base name */
  name?: string
  /** how long to wait for the hello line; @default DEFAULT_HELLO_TIMEOUT_MS */
  helloTimeoutMs?: number
  /** run under `node --cpu-prof`: true writes to PROFILE_DIR, a string names another directory */
  cpuProf?: boolean | string
  /** extra node flags, e.g. ['--max-old-space-size=512'] */
  execArgv?: string[]
  /** forward the worker's stderr to ours as it arrives (it is always kept for error messages) */
  inheritStderr?: boolean
  signal?: AbortSignal
}

export interface WaitOptions {
  /** @default DEFAULT_REQUEST_TIMEOUT_MS */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface WorkerExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Worker<Hello = Record<string, unknown>> {
  child: ChildProcess
  pid: number
  /** the first JSON line the worker printed */
  hello: Hello
  /** the .cpuprofile the worker writes when it exits normally (only with `cpuProf`) */
  cpuProfilePath?: string
  /** writes one JSON line to the worker's stdin */
  send(msg: unknown): void
  /** the next JSON line from the worker after the hello; rejects with the worker's error if it sent `{ "error": ... }` */
  next<T = Record<string, unknown>>(options?: WaitOptions): Promise<T>
  /** send(msg) then next() */
  request<T = Record<string, unknown>>(msg: unknown, options?: WaitOptions): Promise<T>
  /** resolves when the process has exited (immediately if it already has) */
  waitExit(): Promise<WorkerExit>
  /** ends stdin (the worker's cue to shut down and exit 0), then SIGTERM, then SIGKILL after `graceMs` each */
  stop(options?: { graceMs?: number }): Promise<WorkerExit>
  /** kills at once (SIGKILL unless told otherwise) */
  kill(signal?: NodeJS.Signals): void
  /** the last few KiB of the worker's stderr */
  stderrTail(): string
}

const live = new Set<ChildProcess>()
let handlersInstalled = false

/** Kills every worker still running (SIGKILL). Safe to call at any time. */
export function killAllWorkers (): void {
  for (const child of live) {
    // already gone: nothing to kill
    try { child.kill('SIGKILL') } catch { continue }
  }
  live.clear()
}

function installExitHandlers (): void {
  if (handlersInstalled) return
  handlersInstalled = true
  // 'exit' runs on normal exit, process.exit() and uncaught errors, but not
  // when a signal kills us, hence the signal handlers too.
  process.on('exit', killAllWorkers)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllWorkers()
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1))
    })
  }
}

interface Waiter {
  resolve(value: unknown): void
  reject(err: Error): void
}

/**
 * Starts `node <script> ...args` and resolves once it has printed its first
 * JSON line. The worker is tracked and killed when this process exits, so a
 * failing scenario cannot leave servers behind; still, `stop()` it in a
 * `finally`.
 */
export async function spawnWorker<Hello = Record<string, unknown>> (scriptUrl: string | URL, args: readonly string[] = [], init: SpawnWorkerInit = {}): Promise<Worker<Hello>> {
  init.signal?.throwIfAborted()
  installExitHandlers()
  const script = scriptUrl instanceof URL || scriptUrl.startsWith('file:') ? fileURLToPath(scriptUrl) : scriptUrl
  const name = init.name ?? path.basename(script, '.js')
  const execArgv = [...(init.execArgv ?? [])]
  let cpuProfilePath: string | undefined
  if (init.cpuProf != null && init.cpuProf !== false) {
    const dir = typeof init.cpuProf === 'string' ? init.cpuProf : PROFILE_DIR
    mkdirSync(dir, { recursive: true })
    const file = `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 6)}.cpuprofile`
    cpuProfilePath = path.join(dir, file)
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${file}`)
  }
  const child = spawn(process.execPath, [...execArgv, script, ...args], {
    env: { ...process.env, ...init.env },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  live.add(child)

  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    if (init.inheritStderr === true) process.stderr.write(chunk)
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES)
  })
  // A worker that dies closes its stdin; writing to it then raises EPIPE,
  // which the exit handling below reports better.
  child.stdin.on('error', () => {})

  let exit: WorkerExit | undefined
  const exitWaiters: Array<(e: WorkerExit) => void> = []
  const lines: unknown[] = []
  const waiters: Waiter[] = []
  const describeExit = (e: WorkerExit): Error => new Error(`worker ${name} exited (code ${e.code}, signal ${e.signal})${stderr.length > 0 ? `; stderr:\n${stderr.trim()}` : ''}`)

  child.on('exit', (code, signal) => {
    exit = { code, signal }
    live.delete(child)
    for (const w of waiters.splice(0)) w.reject(describeExit(exit))
    for (const w of exitWaiters.splice(0)) w(exit)
  })
  child.on('error', err => {
    // spawn failures: surface to whoever waits
    for (const w of waiters.splice(0)) w.reject(err)
  })

  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity })
  rl.on('line', line => {
    if (line.trim() === '') return
    let msg: unknown
    try {
      msg = JSON.parse(line)
    } catch {
      // stray output (a library printing to stdout): show it, do not treat it as a message
      process.stderr.write(`[${name}] ${line}\n`)
      return
    }
    const w = waiters.shift()
    if (w != null) w.resolve(msg)
    else lines.push(msg)
  })

  const nextRaw = async (options: WaitOptions = {}): Promise<unknown> => {
    if (lines.length > 0) return lines.shift()
    if (exit != null) throw describeExit(exit)
    options.signal?.throwIfAborted()
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    return await new Promise<unknown>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: v => { cleanup(); resolve(v) },
        reject: e => { cleanup(); reject(e) }
      }
      const drop = (): void => {
        const i = waiters.indexOf(waiter)
        if (i !== -1) waiters.splice(i, 1)
      }
      const timer = setTimeout(() => {
        drop()
        waiter.reject(new Error(`worker ${name} sent nothing within ${timeoutMs} ms${stderr.length > 0 ? `; stderr:\n${stderr.trim()}` : ''}`))
      }, timeoutMs)
      const onAbort = (): void => {
        drop()
        waiter.reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'))
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      waiters.push(waiter)
    })
  }

  const next = async <T>(options?: WaitOptions): Promise<T> => {
    const msg = await nextRaw(options)
    if (msg != null && typeof msg === 'object' && 'error' in msg) {
      const err = new Error(`worker ${name}: ${String(msg.error)}`)
      const stack = (msg as { stack?: unknown }).stack
      if (typeof stack === 'string') err.stack = `${err.message}\n--- worker stack ---\n${stack}`
      throw err
    }
    return msg as T
  }

  const waitExit = async (): Promise<WorkerExit> => {
    if (exit != null) return exit
    return await new Promise(resolve => exitWaiters.push(resolve))
  }

  const kill = (signal: NodeJS.Signals = 'SIGKILL'): void => {
    if (exit == null) {
      try { child.kill(signal) } catch { /* already exited */ }
    }
  }

  const waitExitWithin = async (ms: number): Promise<WorkerExit | undefined> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, ms) })
    try {
      return await Promise.race([waitExit(), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  const stop = async (options: { graceMs?: number } = {}): Promise<WorkerExit> => {
    const graceMs = options.graceMs ?? DEFAULT_STOP_GRACE_MS
    if (exit != null) return exit
    child.stdin.end()
    const clean = await waitExitWithin(graceMs)
    if (clean != null) return clean
    kill('SIGTERM')
    const termed = await waitExitWithin(graceMs)
    if (termed != null) return termed
    kill('SIGKILL')
    return await waitExit()
  }

  const worker: Worker<Hello> = {
    child,
    pid: child.pid ?? -1,
    hello: undefined as unknown as Hello,
    cpuProfilePath,
    send: (msg: unknown) => {
      if (exit != null) throw describeExit(exit)
      child.stdin.write(JSON.stringify(msg) + '\n')
    },
    next,
    request: async <T>(msg: unknown, options?: WaitOptions): Promise<T> => {
      worker.send(msg)
      return await next<T>(options)
    },
    waitExit,
    stop,
    kill,
    stderrTail: () => stderr
  }

  const onAbort = (): void => kill()
  init.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    worker.hello = await next<Hello>({ timeoutMs: init.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS, signal: init.signal })
  } catch (err) {
    kill()
    throw err
  } finally {
    init.signal?.removeEventListener('abort', onAbort)
  }
  return worker
}
