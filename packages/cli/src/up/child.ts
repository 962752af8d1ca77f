/**
 * One `weft node start` child of `weft up`. It runs in its own process group
 * (so a terminal's Ctrl-C reaches only `weft up`, which then stops each child
 * once) and with `--stop-with-stdin`, so if `weft up` dies without cleaning
 * up (kill -9), its children notice their stdin closing and leave the mesh.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { CHILD_START_TIMEOUT_MS, CHILD_STOP_TIMEOUT_MS } from '../constants.js'
import { CliError } from '../errors.js'
import { NODE_PROCESS_V8_FLAGS } from '@weft/node'
import type { StartedInfo } from '../node/output.js'
import type { ChildProcess } from 'node:child_process'

export interface ChildInit {
  name: string
  /** path of the `weft` bin script */
  bin: string
  /** arguments after `weft node start` */
  args: string[]
  /** called with each stderr line once the child has started */
  onStderr: (line: string) => void
  /** called when the child exits on its own after it started */
  onUnexpectedExit: (child: ChildNode, how: string) => void
}

/** The node command line of one child: the node process flags, then `weft node start` speaking JSON and stopping when its stdin closes. */
export function childNodeArgv (bin: string, args: readonly string[]): string[] {
  return [...NODE_PROCESS_V8_FLAGS, bin, 'node', 'start', ...args, '--json', '--quiet', '--stop-with-stdin']
}

export class ChildNode {
  readonly name: string
  private readonly proc: ChildProcess
  private readonly exited: Promise<void>
  private exitHow?: string
  private lastError = ''
  private startedInfo?: StartedInfo
  private stopping = false

  constructor (private readonly init: ChildInit) {
    this.name = init.name
    this.proc = spawn(process.execPath, childNodeArgv(init.bin, init.args), {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe']
    })
    // an EPIPE on a dead child's stdin is its exit, reported there
    this.proc.stdin?.on('error', () => {})
    this.exited = new Promise(resolve => {
      this.proc.once('exit', (code, signal) => {
        this.exitHow = signal != null ? `killed by ${signal}` : `exit code ${code}`
        resolve()
        if (!this.stopping && this.startedInfo != null) init.onUnexpectedExit(this, this.exitHow)
      })
      this.proc.once('error', (err) => {
        this.exitHow = err.message
        this.lastError = err.message
        resolve()
      })
    })
    createInterface({ input: this.proc.stderr! }).on('line', (line) => {
      const text = line.replace(/^weft:\s*/, '')
      this.lastError = text
      if (this.startedInfo != null) init.onStderr(text)
    })
  }

  get pid (): number | undefined {
    return this.proc.pid
  }

  get info (): StartedInfo | undefined {
    return this.startedInfo
  }

  get running (): boolean {
    return this.exitHow == null
  }

  /** The last line the child wrote to stderr (its error, when it failed). */
  get lastLine (): string {
    return this.lastError
  }

  /** Resolves with the child's first stdout line (its address); rejects if it exits first. */
  async started (): Promise<StartedInfo> {
    const lines = createInterface({ input: this.proc.stdout! })
    const timeout = AbortSignal.timeout(CHILD_START_TIMEOUT_MS)
    try {
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve)
        void this.exited.then(() => {
          reject(new CliError(`${this.name} failed to start: ${this.lastError !== '' ? this.lastError : this.exitHow ?? 'it exited'}`))
        })
        timeout.addEventListener('abort', () => {
          reject(new CliError(`${this.name} did not start within ${CHILD_START_TIMEOUT_MS / 1000} s${this.lastError !== '' ? `: ${this.lastError}` : ''}`))
        })
      })
      let info: StartedInfo
      try {
        info = JSON.parse(first) as StartedInfo
      } catch {
        throw new CliError(`${this.name} printed something unexpected instead of its address: ${first.slice(0, 200)}`)
      }
      this.startedInfo = info
      // nothing more is expected on stdout (--quiet); keep the pipe drained anyway
      lines.on('line', () => {})
      return info
    } catch (err) {
      lines.close()
      throw err
    }
  }

  /** SIGTERM, then SIGKILL after CHILD_STOP_TIMEOUT_MS; resolves to whether it stopped cleanly. */
  async stop (): Promise<boolean> {
    this.stopping = true
    if (!this.running) return true
    this.proc.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const clean = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, CHILD_STOP_TIMEOUT_MS) })
    ])
    clearTimeout(timer)
    if (!clean) {
      this.proc.kill('SIGKILL')
      await this.exited
    }
    // killed by our SIGTERM: it was still starting, with nothing to leave yet
    return clean && (this.exitHow === 'exit code 0' || this.exitHow === 'killed by SIGTERM')
  }

  /** Immediately, for a second Ctrl-C. */
  kill (): void {
    this.stopping = true
    if (this.running) this.proc.kill('SIGKILL')
  }
}
