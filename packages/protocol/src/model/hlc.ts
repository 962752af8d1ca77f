/**
 * Hybrid logical clock (Kulkarni et al. 2014) versions: wall-clock ms, a
 * counter that orders events within (or stuck at) one ms, and the writer's
 * peer id as the final tie-break. Every write gets a version greater than
 * any version its writer has seen, so a node with a slow clock cannot make an
 * older write win, and two writers never produce equal versions.
 */
import {
  DEFAULT_MAX_DRIFT_MS, MAX_HLC_COUNTER, MAX_HLC_WALL_MS, MAX_HLC_WRITER_LENGTH
} from './constants.js'
import { ClockDriftError, InvalidVersionError } from './errors.js'

/** One HLC timestamp; totally ordered by `compareVersions`. */
export interface Version {
  /** logical wall time in ms since the epoch (>= the physical clock that made it) */
  readonly wallMs: number
  /** orders versions with the same `wallMs` */
  readonly counter: number
  /** the writer's peer id string; breaks ties between writers */
  readonly writer: string
}

export interface HybridClockInit {
  /** this process's peer id string, stamped on every version it makes */
  writer: string
  /**
   * the physical clock, ms since the epoch (injectable for tests)
   *
   * @default Date.now
   */
  wallClock?: () => number
  /**
   * remote timestamps further than this ahead of `wallClock()` are refused
   * with `ClockDriftError` (ms; `Infinity` disables the check)
   *
   * @default 60_000
   */
  maxDriftMs?: number
}

const WRITER = /^[\x21-\x7e]+$/

/** Throws `InvalidVersionError` unless `v` is a well-formed version. */
export function validateVersion (v: unknown): asserts v is Version {
  if (typeof v !== 'object' || v === null) throw new InvalidVersionError('version must be an object')
  const { wallMs, counter, writer } = v as Record<string, unknown>
  if (typeof wallMs !== 'number' || !Number.isInteger(wallMs) || wallMs < 0 || wallMs > MAX_HLC_WALL_MS) {
    throw new InvalidVersionError(`version wallMs must be an integer in 0..2^48-1, got ${String(wallMs)}`)
  }
  if (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0 || counter > MAX_HLC_COUNTER) {
    throw new InvalidVersionError(`version counter must be an integer in 0..2^32-1, got ${String(counter)}`)
  }
  validateWriter(writer)
}

function validateWriter (writer: unknown): asserts writer is string {
  if (typeof writer !== 'string' || writer.length === 0 || writer.length > MAX_HLC_WRITER_LENGTH || !WRITER.test(writer)) {
    throw new InvalidVersionError(`version writer must be 1 to ${MAX_HLC_WRITER_LENGTH} printable ASCII characters (a peer id)`)
  }
}

/**
 * Total order: wall time, then counter, then writer id (by code unit, which
 * for the ASCII writer ids equals byte order). Negative when `a` is older.
 */
export function compareVersions (a: Version, b: Version): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  if (a.writer !== b.writer) return a.writer < b.writer ? -1 : 1
  return 0
}

const WALL_DIGITS = 12
const COUNTER_DIGITS = 8
const WRITER_AT = WALL_DIGITS + 1 + COUNTER_DIGITS + 1
const HEX = /^[0-9a-f]+$/
/** longest `encodeVersion` string */
export const MAX_ENCODED_VERSION_LENGTH = WRITER_AT + MAX_HLC_WRITER_LENGTH

/**
 * Fixed-width sortable text form `wwwwwwwwwwww-cccccccc-<writer>`: 12 lowercase
 * hex digits of wall ms, 8 of counter, then the writer id. Plain string (and
 * UTF-8 byte) comparison of encodings equals `compareVersions`, so versions
 * can be index keys.
 */
export function encodeVersion (v: Version): string {
  validateVersion(v)
  return `${v.wallMs.toString(16).padStart(WALL_DIGITS, '0')}-${v.counter.toString(16).padStart(COUNTER_DIGITS, '0')}-${v.writer}`
}

/** Parses `encodeVersion` output; throws `InvalidVersionError` on anything else. */
export function decodeVersion (s: string): Version {
  if (typeof s !== 'string' || s.length <= WRITER_AT || s.length > MAX_ENCODED_VERSION_LENGTH) {
    throw new InvalidVersionError('encoded version has the wrong length')
  }
  const wall = s.slice(0, WALL_DIGITS)
  const counter = s.slice(WALL_DIGITS + 1, WRITER_AT - 1)
  if (s[WALL_DIGITS] !== '-' || s[WRITER_AT - 1] !== '-' || !HEX.test(wall) || !HEX.test(counter)) {
    throw new InvalidVersionError('encoded version must be <12 hex>-<8 hex>-<writer>')
  }
  const writer = s.slice(WRITER_AT)
  validateWriter(writer)
  return { wallMs: parseInt(wall, 16), counter: parseInt(counter, 16), writer }
}

/**
 * The clock of one writer. `now()` stamps a local event; `update(remote)`
 * folds in a version received from elsewhere (a ref read or written by a
 * peer) so the next `now()` is greater than it.
 *
 * Skew policy: a remote version more than `maxDriftMs` ahead of the local
 * physical clock is refused with `ClockDriftError` and leaves the clock as
 * it was. Accepting it would pin every later local version to the faulty
 * clock's future (HLC never moves backwards), so one bad clock could make a
 * whole mesh's writes look newer than writes made after it is fixed. The
 * caller decides what refusing means (e.g. reject the write, log the peer).
 */
export class HybridClock {
  readonly writer: string
  private readonly wallClock: () => number
  private readonly maxDriftMs: number
  private wallMs = 0
  private counter = 0

  constructor (init: HybridClockInit) {
    validateWriter(init.writer)
    this.writer = init.writer
    this.wallClock = init.wallClock ?? Date.now
    this.maxDriftMs = init.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS
    if (!(this.maxDriftMs >= 0)) throw new RangeError('maxDriftMs must be >= 0')
  }

  /** the last version this clock issued or absorbed */
  get last (): Version {
    return { wallMs: this.wallMs, counter: this.counter, writer: this.writer }
  }

  /** A fresh version, greater than every version this clock has issued or absorbed. */
  now (): Version {
    const pt = this.physical()
    if (pt > this.wallMs) {
      this.wallMs = pt
      this.counter = 0
    } else {
      this.tick(this.counter)
    }
    return this.last
  }

  /**
   * Absorbs a remote version and returns a fresh local version greater than
   * both it and everything issued before. Throws `InvalidVersionError` for a
   * malformed version and `ClockDriftError` (clock unchanged) when `remote`
   * is more than `maxDriftMs` ahead of the physical clock.
   */
  update (remote: Version): Version {
    validateVersion(remote)
    const pt = this.physical()
    const ahead = remote.wallMs - pt
    if (ahead > this.maxDriftMs) {
      throw new ClockDriftError(`remote version from ${remote.writer} is ${ahead} ms ahead of the local clock (limit ${this.maxDriftMs} ms)`, ahead)
    }
    const wall = Math.max(this.wallMs, remote.wallMs, pt)
    if (wall === this.wallMs && wall === remote.wallMs) {
      this.tick(Math.max(this.counter, remote.counter))
    } else if (wall === this.wallMs) {
      this.tick(this.counter)
    } else if (wall === remote.wallMs) {
      this.wallMs = wall
      this.tick(remote.counter)
    } else {
      this.wallMs = wall
      this.counter = 0
    }
    return this.last
  }

  private physical (): number {
    const pt = Math.floor(this.wallClock())
    if (!Number.isSafeInteger(pt) || pt < 0) return 0
    return Math.min(pt, MAX_HLC_WALL_MS)
  }

  /**
   * counter = from + 1; when the counter is exhausted the logical wall time
   * moves on by 1 ms instead, which keeps the order strict (a remote cannot
   * wedge the clock by sending the largest counter).
   */
  private tick (from: number): void {
    if (from >= MAX_HLC_COUNTER) {
      if (this.wallMs >= MAX_HLC_WALL_MS) throw new InvalidVersionError('hybrid clock exhausted (wall time at 2^48-1 ms)')
      this.wallMs++
      this.counter = 0
    } else {
      this.counter = from + 1
    }
  }
}
