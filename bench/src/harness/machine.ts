import { readFileSync } from 'node:fs'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * How busy the box is apart from the benchmark. Scenarios share two cores
 * with whatever else runs (builds, other tests), and every figure is
 * depressed when something does, so scenarios print this beside their
 * figures.
 */
export interface MachineLoad {
  cpus: number
  /** 1-minute load average */
  loadAvg1: number
  /** share of all CPU time, 0-1, that was busy while we sampled doing nothing ourselves */
  busyShare: number
}

export const DEFAULT_LOAD_SAMPLE_MS = 1000

function cpuTimes (): { idle: number, total: number } {
  let idle = 0
  let total = 0
  for (const cpu of os.cpus()) {
    const t = cpu.times
    idle += t.idle
    total += t.user + t.nice + t.sys + t.idle + t.irq
  }
  return { idle, total }
}

/** Samples CPU use for `ms` while this process idles: what others are using. */
export async function measureBackgroundLoad (ms: number = DEFAULT_LOAD_SAMPLE_MS, options: { signal?: AbortSignal } = {}): Promise<MachineLoad> {
  const start = cpuTimes()
  await sleep(ms, undefined, { signal: options.signal })
  const end = cpuTimes()
  const total = end.total - start.total
  return {
    cpus: os.cpus().length,
    loadAvg1: os.loadavg()[0] ?? 0,
    busyShare: total > 0 ? 1 - (end.idle - start.idle) / total : 0
  }
}

/** One line for a note: "background CPU 3% of 2 cores, load 0.4". */
export function describeLoad (load: MachineLoad): string {
  const busy = `background CPU ${(load.busyShare * 100).toFixed(0)}% of ${load.cpus} cores, 1-min load ${load.loadAvg1.toFixed(2)}`
  return load.busyShare > 0.1 ? `${busy} (BUSY: other processes compete for CPU; figures are low)` : busy
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
function machineTicks (): { busy: number, total: number } | undefined {
  let text: string
  try {
    text = readFileSync('/proc/stat', 'utf8')
  } catch {
    return undefined
  }
  const fields = (/^cpu\s+(.*)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields
  const busy = user + nice + system + irq + softirq + steal
  return { busy, total: busy + idle + iowait }
}

/** utime + stime of a process in clock ticks, from /proc/<pid>/stat; 0 when gone. */
function processTicks (pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name may contain spaces and parentheses: fields start after the last ')'
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return Number(rest[11]) + Number(rest[12])
  } catch {
    return 0
  }
}

export interface Contention {
  /** share of the machine's CPU capacity, 0-1, used by processes other than ours during the window */
  othersShare: number
  /** CPU seconds (user + system) each of the watched `pids` used during the window, in their order */
  cpuSeconds: number[]
}

/** clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux) */
const TICKS_PER_SECOND = 100

/**
 * Measures how much CPU processes other than `pids` (and this one) used
 * between start and `stop()`: the machine's busy time minus ours. A run
 * with a high share was slowed by someone else, whatever it measured.
 */
export function watchContention (pids: readonly number[]): { stop(): Contention } {
  const all = [process.pid, ...pids]
  const m0 = machineTicks()
  const p0 = all.map(processTicks)
  return {
    stop: () => {
      const m1 = machineTicks()
      const used = all.map((pid, i) => processTicks(pid) - (p0[i] ?? 0))
      const cpuSeconds = used.slice(1).map(t => t / TICKS_PER_SECOND)
      if (m0 == null || m1 == null || m1.total <= m0.total) return { othersShare: 0, cpuSeconds }
      const ours = used.reduce((sum, t) => sum + t, 0)
      const others = (m1.busy - m0.busy) - ours
      return { othersShare: Math.max(0, others / (m1.total - m0.total)), cpuSeconds }
    }
  }
}
