/**
 * What `weft node start` prints. stdout is the node's log: its address first
 * (scripts read that line), then membership changes; `--json` makes every
 * line a JSON object, `--quiet` stops after the address. Problems go to stderr.
 */
import { shortPeer } from '../addr.js'
import { formatBytes } from '../units.js'
import type { Member, WeftNode } from '@weft/node'

export interface OutputMode {
  json: boolean
  /** nothing after the first line */
  quiet: boolean
}

export interface StartedInfo {
  multiaddr: string
  multiaddrs: string[]
  peerId: string
  admin: string | null
  zone: string
  meshId: string
  dataDir: string
  capacityBytes: number
  meshKeyFile: string | null
  seeds: string[]
}

export class NodeOutput {
  constructor (private readonly mode: OutputMode) {}

  started (info: StartedInfo): void {
    if (this.mode.json) {
      this.line(JSON.stringify(info))
      return
    }
    this.line(info.multiaddr)
    if (this.mode.quiet) return
    this.line(`peer ${info.peerId}  zone ${info.zone === '' ? '(none)' : info.zone}  capacity ${formatBytes(info.capacityBytes)}  data ${info.dataDir}`)
    this.line(`mesh ${info.meshId.slice(0, 8)}  key ${info.meshKeyFile ?? '(none: --insecure-open, anyone can connect)'}`)
    if (info.admin != null) this.line(`admin ${info.admin}  (GET /status, GET /metrics)`)
    this.line(info.seeds.length > 0 ? `joining through ${info.seeds.join(', ')}` : 'no --seed: this node starts a mesh (or rejoins the members it knew); others join with --seed and the first line above')
  }

  member (event: string, m: Member): void {
    if (this.mode.quiet || m.self) return
    const what = event.replace('member:', '')
    if (this.mode.json) {
      this.line(JSON.stringify({ time: Date.now(), event, peerId: m.peerId, zone: m.record.zone, liveness: m.liveness }))
      return
    }
    if (what === 'updated') return
    this.line(`${clock()} member ${shortPeer(m.peerId)} ${what}${m.record.zone === '' ? '' : ` (${m.record.zone})`}`)
  }

  joined (node: WeftNode): void {
    this.event('joined', `in the mesh: ${node.members().length} members`, { members: node.members().length })
  }

  stopping (inMesh: boolean): void {
    this.event('stopping', inMesh ? 'leaving the mesh...' : 'stopping...')
  }

  stopped (): void {
    this.event('stopped', 'stopped')
  }

  private event (event: string, text: string, extra: Record<string, unknown> = {}): void {
    if (this.mode.quiet) return
    if (this.mode.json) this.line(JSON.stringify({ time: Date.now(), event, ...extra }))
    else this.line(`${clock()} ${text}`)
  }

  private line (text: string): void {
    process.stdout.write(text + '\n')
  }
}

function clock (): string {
  return new Date().toTimeString().slice(0, 8)
}
