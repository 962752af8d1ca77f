/**
 * The rendezvous score of a (partition, node) pair, built only from 32-bit
 * integer operations and IEEE-754 double +, -, *, / so that every platform and
 * every language computes the same bits (Ceph's straw2 uses a fixed-point log
 * table for the same reason). README "Algorithm" is the normative description.
 */
import { createHash } from 'node:crypto'

const TWO_POW_32 = 4294967296
const TWO_POW_NEG_44 = 2 ** -44
const LN2 = 0.6931471805599453
const SQRT2 = 1.4142135623730951

/** 2^-k for k = -1..52, by exact halving (Math.pow is not required to be exact). */
const POW2_NEG = (() => {
  const t = new Float64Array(54)
  t[0] = 2
  for (let i = 1; i < t.length; i++) t[i] = (t[i - 1] ?? 0) * 0.5
  return t
})()

/** 1/(2i+1) for the atanh series of ln, highest first (Horner order). */
const LN_SERIES = [1 / 21, 1 / 19, 1 / 17, 1 / 15, 1 / 13, 1 / 11, 1 / 9, 1 / 7, 1 / 5, 1 / 3] as const
const [C21, C19, C17, C15, C13, C11, C9, C7, C5, C3] = LN_SERIES

/** A node's 64-bit seed: the first 8 bytes of sha256(utf-8 peer id), as two big-endian uint32. */
export function nodeSeed (peerId: string): [number, number] {
  const d = createHash('sha256').update(peerId, 'utf8').digest()
  return [d.readUInt32BE(0), d.readUInt32BE(4)]
}

/** murmur3's 32-bit finaliser. */
function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

/**
 * The 52-bit hash x of (node seed, partition), as an exact integer-valued
 * double in [0, 2^52).
 */
export function unitHash (s0: number, s1: number, partition: number): number {
  const a = fmix32(s0 ^ partition)
  const b = fmix32(((s1 ^ Math.imul(partition, 0x9e3779b9)) + a) | 0)
  const c = fmix32(a ^ b)
  return (c >>> 12) * TWO_POW_32 + (b >>> 0)
}

/**
 * ln(u) for u = (x + 0.5) / 2^52, computed as (k - 52) ln 2 + ln(m) with m in
 * [sqrt(1/2), sqrt(2)) and ln(m) = 2 atanh((m - 1)/(m + 1)) by an 11-term
 * series: accurate to ~1e-16 and, more to the point, bit-identical wherever
 * IEEE-754 doubles are (no fused multiply-add).
 */
export function lnUnit (x: number): number {
  let k: number
  if (x >= TWO_POW_32) {
    k = 63 - Math.clz32((x / TWO_POW_32) >>> 0)
  } else if (x >= 1) {
    k = 31 - Math.clz32(x >>> 0)
  } else {
    k = -1
  }
  let m = (x + 0.5) * (POW2_NEG[k + 1] ?? 0)
  if (m > SQRT2) {
    m *= 0.5
    k += 1
  }
  const s = (m - 1) / (m + 1)
  const z = s * s
  let q = C21
  q = q * z + C19
  q = q * z + C17
  q = q * z + C15
  q = q * z + C13
  q = q * z + C11
  q = q * z + C9
  q = q * z + C7
  q = q * z + C5
  q = q * z + C3
  q = q * z + 1
  return (k - 52) * LN2 + 2 * s * q
}

/**
 * The rendezvous key: ln(u) / weight. Higher is better; it orders nodes exactly
 * as straw2's -weight / ln(u) does, without a division by a log near zero.
 */
export function scoreKey (s0: number, s1: number, weight: number, partition: number): number {
  return lnUnit(unitHash(s0, s1, partition)) / weight
}

/**
 * Upper bounds of ln(u) over each of the 256 buckets of x's top 8 bits (plus a
 * margin far above the series' error), so a node whose bound already loses can
 * skip the log. Only ever used to skip work, never to decide an order.
 */
export const LN_BUCKET_UPPER = (() => {
  const t = new Float64Array(256)
  for (let i = 0; i < 256; i++) t[i] = Math.log((i + 1) / 256) + 1e-9
  return t
})()

/** The bucket of x for LN_BUCKET_UPPER. */
export function hashBucket (x: number): number {
  return (x * TWO_POW_NEG_44) | 0
}
