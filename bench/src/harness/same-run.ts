/**
 * Figures one scenario leaves for a later scenario of the same `npm run
 * bench` process (every scenario is imported into one process): `helia`
 * compares Helia with the weft figures `throughput` and `small` measured in
 * this run instead of measuring them again, and measures them itself when
 * run alone.
 */

export interface SameRunFigure {
  value: number
  unit: string
  /** what was measured, for the note that quotes it */
  what: string
  /** Date.now() when recorded */
  at: number
}

const figures = new Map<string, SameRunFigure>()

export function rememberFigure (key: string, figure: Omit<SameRunFigure, 'at'>): void {
  figures.set(key, { ...figure, at: Date.now() })
}

export function sameRunFigure (key: string): SameRunFigure | undefined {
  return figures.get(key)
}

/** key of weft's single-client get MB/s of a `bytes`-byte object (3 nodes, r = 3) */
export function largeGetKey (bytes: number): string {
  return `weft:large-get-MBps:${bytes}`
}

/** key of weft's objects/s reading `count` objects of `size` bytes at `concurrency` */
export function smallGetKey (count: number, size: number, concurrency: number): string {
  return `weft:small-get-objects-per-s:${count}x${size}:c${concurrency}`
}
