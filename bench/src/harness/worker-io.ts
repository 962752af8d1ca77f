import { createInterface } from 'node:readline'

/**
 * The worker's side of `spawnWorker`: say hello, answer one JSON command per
 * stdin line with one JSON line on stdout, and exit when stdin ends. Exiting
 * through `process.exit` (not a signal) is what lets `node --cpu-prof` write
 * its profile. Workers must print nothing else on stdout.
 */

export type CommandHandler = (command: Record<string, unknown>) => Promise<unknown>

export interface ServeWorkerInit {
  /** the first line, e.g. `{ ready: true, port }` */
  hello: Record<string, unknown>
  /** answers commands one at a time, in order; a throw becomes `{ error, stack }` */
  onCommand?: CommandHandler
  /** closes servers and sockets before the process exits */
  onShutdown?: () => Promise<void>
}

/** Writes one JSON line to stdout. */
export function writeLine (msg: unknown): void {
  process.stdout.write(JSON.stringify(msg) + '\n')
}

/** Reports an error the parent will throw, then exits non-zero. */
export function failWorker (err: unknown): never {
  const e = err instanceof Error ? err : new Error(String(err))
  writeLine({ error: e.message, stack: e.stack })
  process.exit(1)
}

export function serveWorker (init: ServeWorkerInit): void {
  let shuttingDown = false
  const shutdown = async (code: number): Promise<void> => {
    if (shuttingDown) return
    shuttingDown = true
    try {
      await init.onShutdown?.()
    } catch (err) {
      process.stderr.write(`shutdown failed: ${String(err)}\n`)
      code = code === 0 ? 1 : code
    }
    process.exit(code)
  }
  process.once('SIGTERM', () => { void shutdown(0) })

  let queue = Promise.resolve()
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  rl.on('line', line => {
    if (line.trim() === '') return
    queue = queue.then(async () => {
      try {
        const command = JSON.parse(line) as Record<string, unknown>
        if (init.onCommand == null) throw new Error('this worker takes no commands')
        writeLine(await init.onCommand(command) ?? {})
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err))
        writeLine({ error: e.message, stack: e.stack })
      }
    })
  })
  rl.on('close', () => {
    void queue.then(async () => { await shutdown(0) })
  })
  writeLine(init.hello)
}
