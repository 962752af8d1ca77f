/**
 * Zone paths (`region/dc/rack/host`) and the failure domains and allowed-zone
 * prefixes built from them. Segments are compared whole; a missing segment is
 * the empty string, so `eu/dc1` and `eu/dc1/` are the same place.
 */
import { SPREAD_DEPTH, ZONE_DEPTH } from './constants.js'
import type { SpreadLevel } from './types.js'

/** The zone's first ZONE_DEPTH segments, padded with empty strings. */
export function zoneSegments (zone: string): string[] {
  const segs = zone.split('/').slice(0, ZONE_DEPTH)
  while (segs.length < ZONE_DEPTH) segs.push('')
  return segs
}

/**
 * The failure domain of a zone at a spread level, as a string key.
 * '\0' cannot occur inside a segment joined with '/', so keys never collide.
 */
export function domainKey (zone: string, level: SpreadLevel): string {
  return zoneSegments(zone).slice(0, SPREAD_DEPTH[level]).join('\0')
}

/** Removes trailing slashes: `eu/` and `eu` are the same prefix. */
export function normaliseZonePrefix (prefix: string): string {
  let end = prefix.length
  while (end > 0 && prefix.charCodeAt(end - 1) === 0x2f) end--
  return prefix.slice(0, end)
}

/**
 * True when `zone` lies under `prefix` on whole segments (`eu` matches
 * `eu/dc1/...` but not `europe/...`). The empty prefix matches everything.
 * `prefix` must already be normalised.
 */
export function zoneHasPrefix (zone: string, prefix: string): boolean {
  if (prefix === '') return true
  const p = prefix.split('/')
  const z = zone.split('/')
  for (let i = 0; i < p.length; i++) {
    if ((z[i] ?? '') !== p[i]) return false
  }
  return true
}

/** True when the zone lies under any of the (normalised) prefixes; no prefixes means anywhere. */
export function zoneAllowed (zone: string, prefixes: readonly string[]): boolean {
  if (prefixes.length === 0) return true
  return prefixes.some(p => zoneHasPrefix(zone, p))
}
