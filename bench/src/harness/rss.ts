import { readFileSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'

/** What a sampler saw, in bytes. */
export interface RssStats {
  /** highest VmRSS sampled while the sampler ran */
  peakBytes: number
  /** the last VmRSS read */
  lastBytes: number
  /** VmHWM at the last read: the kernel's peak since the process started (catches spikes between samples) */
  hwmBytes: number
  /** how many reads succeeded */
  samples: number
}

export interface RssSampler {
  /** the figures so far, without stopping */
  read(): RssStats
  /** stops sampling (idempotent), taking one last sample if the process still exists */
  stop(): RssStats
}

export const DEFAULT_RSS_INTERVAL_MS = 50

/** VmRSS and VmHWM of a process in bytes, from /proc (Linux), or undefined when gone. */
export function readRss (pid: number): { rssBytes: number, hwmBytes: number } | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    if (pid === process.pid) {
      const rss = process.memoryUsage.rss()
      return { rssBytes: rss, hwmBytes: rss }
    }
    return undefined
  }
  const kib = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
    return m == null ? 0 : Number(m[1]) * 1024
  }
  return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM') }
}

/**
 * Samples the resident set size of a process every `intervalMs` until
 * `stop()`. Pass a pid, a ChildProcess or `process` itself. The timer is
 * unref'd so a forgotten sampler never keeps the benchmark alive.
 */
export function sampleRss (target: number | ChildProcess | NodeJS.Process, intervalMs: number = DEFAULT_RSS_INTERVAL_MS): RssSampler {
  const pid = typeof target === 'number' ? target : target.pid
  if (pid == null) throw new TypeError('sampleRss: the process has no pid (not started?)')
  const stats: RssStats = { peakBytes: 0, lastBytes: 0, hwmBytes: 0, samples: 0 }
  const sample = (): void => {
    const r = readRss(pid)
    if (r == null) return
    stats.samples++
    stats.lastBytes = r.rssBytes
    stats.hwmBytes = r.hwmBytes
    if (r.rssBytes > stats.peakBytes) stats.peakBytes = r.rssBytes
  }
  sample()
  let timer: NodeJS.Timeout | undefined = setInterval(sample, intervalMs)
  timer.unref()
  return {
    read: () => ({ ...stats }),
    stop: () => {
      if (timer != null) {
        clearInterval(timer)
        timer = undefined
        sample()
      }
      return { ...stats }
    }
  }
}
