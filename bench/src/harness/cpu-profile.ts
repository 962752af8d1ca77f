import { readFile } from 'node:fs/promises'

/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`, see
 * `spawnWorker({ cpuProf })`) and returns the functions with the most self
 * time, so a scenario can print where a worker spent its CPU.
 */

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  hitCount?: number
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples?: number[]
  timeDeltas?: number[]
  startTime: number
  endTime: number
}

export interface ProfileEntry {
  /** `name (file:line)` */
  frame: string
  selfMs: number
  /** share of sampled busy time (idle excluded), 0-1 */
  share: number
}

export async function topCpuEntries (file: string, top: number = 15): Promise<ProfileEntry[]> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
  const byId = new Map<number, ProfileNode>()
  for (const n of profile.nodes) byId.set(n.id, n)
  // samples + timeDeltas give each sample's duration; hitCount alone assumes a fixed interval
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number
    // a sample's time is the delta to the next one
    const dt = deltas[i + 1] ?? 0
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt))
  }
  const totals = new Map<string, number>()
  let all = 0
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (node == null) continue
    const { functionName, url, lineNumber } = node.callFrame
    // time spent waiting is not CPU; shares are of busy time
    if (functionName === '(idle)') continue
    const file = url === '' ? '' : url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '')
    const frame = `${functionName === '' ? '(anonymous)' : functionName}${file === '' ? '' : ` (${file}:${lineNumber + 1})`}`
    totals.set(frame, (totals.get(frame) ?? 0) + us)
    all += us
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, selfMs: us / 1e3, share: all > 0 ? us / all : 0 }))
}
