/**
 * A progress bar on stderr for long transfers, only when a person watches
 * (stderr is a terminal) and the transfer is big enough to wait for; quiet
 * when piped or redirected.
 */
import cliProgress from 'cli-progress'
import { formatBytes } from '../units.js'

/** smaller transfers finish before a bar would help */
export const PROGRESS_MIN_BYTES = 8 * 2 ** 20

export interface Progress {
  update: (bytes: number) => void
  stop: () => void
}

const NONE: Progress = { update: () => {}, stop: () => {} }

/** `total` undefined: size unknown (stdin), shown as bytes so far. */
export function progressBar (label: string, total: number | undefined, enabled = process.stderr.isTTY): Progress {
  if (!enabled || (total != null && total < PROGRESS_MIN_BYTES)) return NONE
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: total != null
      ? `${label} [{bar}] {percentage}% {done} of {size}  {speed}  eta {eta_formatted}`
      : `${label} {done}  {speed}`,
    hideCursor: true,
    clearOnComplete: true,
    fps: 5
  }, cliProgress.Presets.shades_classic)
  const startedAt = performance.now()
  const payload = (bytes: number): Record<string, string> => ({
    done: formatBytes(bytes),
    size: formatBytes(total ?? 0),
    speed: `${formatBytes(Math.round(bytes / Math.max(0.001, (performance.now() - startedAt) / 1000)))}/s`
  })
  bar.start(total ?? 0, 0, payload(0))
  return {
    update: (bytes) => { bar.update(bytes, payload(bytes)) },
    stop: () => { bar.stop() }
  }
}
