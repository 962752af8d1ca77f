import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

/**
 * Temp directories a scenario owns (node data dirs, local-file datasets).
 * Each is removed by `removeTempRoot` in the scenario's `finally`, and, as a
 * last resort, when the bench process exits (after spawn-worker's exit
 * handler has killed the workers writing into them).
 */

const roots = new Set<string>()
let hooked = false

export async function makeTempRoot (name: string): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), `weft-bench-${name}-`))
  roots.add(root)
  if (!hooked) {
    hooked = true
    process.on('exit', () => {
      for (const dir of roots) {
        try { rmSync(dir, { recursive: true, force: true }) } catch { /* best effort at exit */ }
      }
    })
  }
  return root
}

export async function removeTempRoot (root: string): Promise<void> {
  await rm(root, { recursive: true, force: true })
  roots.delete(root)
}
