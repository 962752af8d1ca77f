/**
 * How the CLI fails: one actionable line on stderr and an exit code
 * (0 ok, 1 operation failed, 2 usage error). `--debug` adds the stack.
 */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  readonly exitCode = EXIT_USAGE
}

/** An operation that failed with an explanation already fit for the user. */
export class CliError extends Error {
  override readonly name = 'CliError'
  readonly exitCode: number

  constructor (message: string, exitCode = EXIT_FAILED, options?: ErrorOptions) {
    super(message, options)
    this.exitCode = exitCode
  }
}

export function exitCodeOf (err: unknown): number {
  if (err instanceof UsageError || err instanceof CliError) return err.exitCode
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code.startsWith('commander.')) return EXIT_USAGE
  return EXIT_FAILED
}

/** The one line a user sees; the stack only with --debug. */
export function formatError (err: unknown, debug: boolean): string {
  if (!(err instanceof Error)) return `weft: ${String(err)}`
  const code = (err as { code?: unknown }).code
  const prefix = typeof code === 'string' && code.startsWith('ERR_') ? `${code}: ` : ''
  const line = `weft: ${prefix}${firstLine(err.message)}`
  if (!debug) return line
  // the causes too: a CliError usually wraps the library error that explains it
  const parts = [line, err.stack ?? '']
  let cause: unknown = err.cause
  for (let depth = 0; cause != null && depth < 5; depth++) {
    parts.push(`caused by: ${cause instanceof Error ? cause.stack ?? cause.message : JSON.stringify(cause)}`)
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return parts.join('\n')
}

function firstLine (text: string): string {
  const i = text.indexOf('\n')
  return i === -1 ? text : text.slice(0, i)
}
