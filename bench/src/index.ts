import '@weft/protocol/polyfill'
import { writeResults } from './report.js'

/**
 * `npm run bench [-- NAME ...]`: runs the named scenarios (all when none is
 * named) and prints what each measured beside the ceiling of the same run.
 */
type Scenario = (args: string[]) => Promise<void>

// One line per scenario; each module default-exports its Scenario.
const scenarios: Record<string, () => Promise<Scenario>> = {
  ceiling: async () => (await import('./ceiling.js')).default,
  chunks: async () => (await import('./chunks.js')).default,
  client: async () => (await import('./client.js')).default,
  membership: async () => (await import('./membership.js')).default,
  placement: async () => (await import('./placement.js')).default,
  rebalance: async () => (await import('./rebalance.js')).default,
  // helia compares with figures throughput and small recorded earlier in the same run, so they come first
  throughput: async () => (await import('./throughput.js')).default,
  small: async () => (await import('./small.js')).default,
  train: async () => (await import('./train.js')).default,
  helia: async () => (await import('./helia.js')).default,
  memory: async () => (await import('./memory.js')).default,
}

async function run (): Promise<void> {
  const names = process.argv.slice(2).filter(a => !a.startsWith('--'))
  const chosen = names.length > 0 ? names : Object.keys(scenarios)
  const started = performance.now()
  const took: string[] = []
  for (const name of chosen) {
    const load = scenarios[name]
    if (load == null) {
      console.error(`unknown scenario "${name}"; known: ${Object.keys(scenarios).join(', ') || '(none yet)'}`)
      process.exitCode = 2
      return
    }
    const scenario = await load()
    const at = performance.now()
    await scenario(process.argv.slice(2))
    took.push(`${name} ${Math.round((performance.now() - at) / 1000)} s`)
  }
  console.log(`\nwall time: ${Math.round((performance.now() - started) / 1000)} s (${took.join(', ')})`)
  console.log(`results: ${await writeResults()}`)
}

await run()
