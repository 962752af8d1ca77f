/**
 * Seeded pseudo-randomness for benchmarks: the same seed gives the same read
 * order and the same payload bytes in every process and every run, so weft,
 * local files and Helia are fed and read identically.
 */

/** mulberry32: a tiny, fast 32-bit generator; returns floats in [0, 1). */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The indices 0..n-1 in a Fisher-Yates order drawn from `seed`. */
export function seededShuffle (n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i)
  const rand = seededRandom(seed)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = order[i] as number
    order[i] = order[j] as number
    order[j] = t
  }
  return order
}

/** A normal draw (Box-Muller) from a uniform source. */
export function normalDraw (rand: () => number, mean: number, stdev: number): number {
  const u = Math.max(rand(), Number.EPSILON)
  const v = rand()
  return mean + stdev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
