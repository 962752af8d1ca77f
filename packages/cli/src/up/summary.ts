/** What `weft up` prints once its nodes run: the seed, the admin URLs, what to try next. */
import { accessSync, constants } from 'node:fs'
import path from 'node:path'
import { localZone } from './plan.js'
import type { ChildNode } from './child.js'
import type { PlannedNode } from './plan.js'

export interface SummaryInit {
  dir: string
  configFile: string
  meshId: string
  keyCreated: boolean
  reused: boolean
  plans: PlannedNode[]
  children: ChildNode[]
  /** every node saw every other up before the summary */
  converged: boolean
  /** the config is where commands look for it (a `.weft` dir) */
  discoverable: boolean
  keyFile: string
}

/** Whether `weft` runs as a command here; inside a clone it usually does not. */
function weftOnPath (): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some(dir => {
    try {
      accessSync(path.join(dir, 'weft'), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

export function printSummary (s: SummaryInit): void {
  const seed = s.children[0]?.info?.multiaddr ?? ''
  const admin = s.children[0]?.info?.admin ?? ''
  const n = s.children.length
  const lines = [
    `weft up: ${n} node${n === 1 ? '' : 's'} running on 127.0.0.1, mesh ${s.meshId.slice(0, 8)}; Ctrl-C stops them`,
    `data in ${s.dir}/ (${s.reused ? 'reused from the last run' : 'new'})${s.keyCreated ? `, new mesh key ${s.dir}/mesh.key` : ''}`,
    '',
    `seed    ${seed}`
  ]
  const width = Math.max(...s.plans.map(p => p.zone.length))
  s.plans.forEach((plan, i) => {
    const info = s.children[i]?.info
    lines.push(`${plan.name.padEnd(7)} ${plan.zone.padEnd(width)}  admin ${info?.admin ?? '-'}`)
  })
  const moved = s.plans.flatMap(p => p.moved.map(m => `${p.name} ${m}`))
  if (moved.length > 0) lines.push(`(ports in use since the last run, new ones picked: ${moved.join(', ')})`)
  if (!s.converged) lines.push('(the nodes do not all see each other yet: `weft status` shows how it goes)')
  const found = s.discoverable
    ? [`${s.configFile} holds the seeds, the mesh key path and the admin URLs: weft commands run in this folder use it.`]
    : [
        `${s.configFile} holds the seeds, the mesh key path and the admin URLs; weft commands look for .weft/config.json, so elsewhere point them here:`,
        `  export WEFT_SEED=${seed} WEFT_MESH_KEY=${s.keyFile}   (and weft status --admin ${admin})`
      ]
  lines.push(
    '',
    ...found,
    '',
    s.discoverable ? 'try, in another terminal in this folder:' : 'try, in another terminal (after the export above):',
    ...(weftOnPath() ? [] : [`  alias weft="node ${process.argv[1] ?? 'packages/cli/dist/src/bin.js'}"    (weft is not on your PATH)`]),
    s.discoverable ? '  weft status' : `  weft status --admin ${admin}`,
    '  weft bucket create demo',
    '  echo hello | weft put - demo/hello.txt',
    '  weft ls demo',
    '  weft get demo/hello.txt',
    `  curl -s ${admin}/metrics | grep '^weft_'`,
    `  weft node start --data ${s.dir}/node-${n + 1} --zone ${localZone(n)} --seed ${seed}`,
    ''
  )
  process.stdout.write(lines.join('\n') + '\n')
}
