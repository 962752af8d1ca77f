/** Byte sizes as people type them: `500GiB`, `1.5TB`, `4096`. */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50
}

/** Parses a byte size; returns undefined when the text is not one. */
export function parseBytes (text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  if (match == null) return undefined
  const unit = UNITS[(match[2] ?? '').toLowerCase()]
  if (unit == null) return undefined
  const value = Math.floor(Number(match[1]) * unit)
  return Number.isSafeInteger(value) ? value : undefined
}

/** Formats bytes with binary units, e.g. `1.5 GiB`. */
export function formatBytes (bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes
  let i = 0
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024
    i++
  }
  return i === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[i]}`
}
