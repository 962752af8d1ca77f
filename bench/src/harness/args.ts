/**
 * Command-line options every scenario understands. A scenario receives the
 * whole `npm run bench -- ...` argument list (scenario names included) and
 * reads what it needs from here.
 */
export interface BenchArgs {
  /** `--full`: the long, publishable sizes; otherwise the quick defaults */
  full: boolean
  /** `--quick` (the default): sizes that keep each scenario around a minute */
  quick: boolean
  /** `--cpu-prof`: run workers under `node --cpu-prof` into bench/results/profiles */
  cpuProf: boolean
  /** the bare words: scenario names */
  names: string[]
  /** every `--key=value` or `--key value`-less flag, by key (flags map to 'true') */
  options: Record<string, string>
}

/**
 * Parses `--full`, `--quick`, `--cpu-prof` and generic `--key=value` options.
 * `--full` wins over `--quick` when both are given, so appending `--full` to a
 * saved command line does what it says.
 */
export function parseArgs (argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const options: Record<string, string> = {}
  const names: string[] = []
  for (const arg of argv) {
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      if (eq === -1) options[arg.slice(2)] = 'true'
      else options[arg.slice(2, eq)] = arg.slice(eq + 1)
    } else {
      names.push(arg)
    }
  }
  const full = options.full === 'true'
  return { full, quick: !full, cpuProf: options['cpu-prof'] === 'true', names, options }
}

/**
 * A numeric `--key=value` option, or the fallback when absent. Accepts plain
 * numbers and binary suffixes (`512Mi`, `2Gi`, `256Ki`) because sizes are
 * what scenarios take most.
 */
export function numberOption (args: BenchArgs, key: string, fallback: number): number {
  const raw = args.options[key]
  if (raw == null) return fallback
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(raw)
  if (m == null) throw new TypeError(`--${key}=${raw} is not a number (suffixes Ki, Mi, Gi allowed)`)
  const scale = m[2] === 'Ki' ? 1024 : m[2] === 'Mi' ? 1024 ** 2 : m[2] === 'Gi' ? 1024 ** 3 : 1
  return Number(m[1]) * scale
}
