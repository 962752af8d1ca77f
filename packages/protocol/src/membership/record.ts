/**
 * The node record: what a member says about itself. It travels signed (see
 * envelope.ts); this module only knows its shape, bounds and JSON encoding.
 *
 * Unknown fields are accepted and ignored so that a later software version
 * may add fields without older members rejecting its records; the signed
 * bytes are kept and forwarded as they were, so nothing is lost in transit.
 */
import { multiaddr } from '@multiformats/multiaddr'
import {
  MAX_ADDR_LENGTH, MAX_ADDRS, MAX_BULK_ADDR_LENGTH, MAX_PEER_ID_LENGTH, MAX_RECORD_BYTES,
  MAX_VERSION_LENGTH, MAX_ZONE_LENGTH, MAX_ZONE_SEGMENT_LENGTH, MAX_ZONE_SEGMENTS, MESH_ID_LENGTH
} from './constants.js'
import { InvalidRecordError, RecordTooLargeError } from './errors.js'

/** What a member intends: serve, move its data away, or go offline. */
export type NodeRecordState = 'up' | 'draining' | 'leaving'

export interface NodeLoad {
  /** requests being served right now */
  readonly inFlight: number
  /** recent throughput in MB/s */
  readonly mbps: number
}

export interface NodeRecord {
  /** base58btc peer id of the signer */
  readonly peerId: string
  /** grows with every new record of this peer; never reused, even across restarts */
  readonly seq: number
  /** the mesh this record belongs to (see meshIdFromKey) */
  readonly meshId: string
  /** failure-domain path `region/dc/rack/host` (fewer segments allowed) */
  readonly zone: string
  /** libp2p multiaddrs the member is reachable on (without /p2p/) */
  readonly addrs: readonly string[]
  /** the bulk data channel's address; empty when it has none */
  readonly bulkAddr: string
  readonly capacityBytes: number
  readonly usedBytes: number
  /** relative placement weight, > 0 */
  readonly weight: number
  readonly state: NodeRecordState
  readonly load: NodeLoad
  /** true when the member accepts no more data */
  readonly full: boolean
  /** software version */
  readonly version: string
  /** ms since the epoch when this process started */
  readonly startedAt: number
}

const STATES = new Set<string>(['up', 'draining', 'leaving'])
const ZONE_SEGMENT = /^[A-Za-z0-9._:-]*$/
const HEX = /^[0-9a-f]*$/
// base58btc alphabet (CIDv1 peer ids start with 'b' and fit it too)
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]+$/

function fail (message: string): never {
  throw new InvalidRecordError(message)
}

function str (o: Record<string, unknown>, key: string, max: number): string {
  const v = o[key]
  if (typeof v !== 'string') fail(`${key} must be a string`)
  if (v.length > max) fail(`${key} is longer than ${max}`)
  return v
}

function uint (o: Record<string, unknown>, key: string, min = 0): number {
  const v = o[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(`${key} must be an integer >= ${min}`)
  return v
}

function finite (o: Record<string, unknown>, key: string): number {
  const v = o[key]
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${key} must be a finite number >= 0`)
  return v
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Throws InvalidRecordError unless `zone` is a valid zone path. */
export function validateZone (zone: string): void {
  if (zone.length > MAX_ZONE_LENGTH) fail(`zone is longer than ${MAX_ZONE_LENGTH}`)
  const segments = zone.split('/')
  if (segments.length > MAX_ZONE_SEGMENTS) fail(`zone has more than ${MAX_ZONE_SEGMENTS} segments`)
  for (const s of segments) {
    if (s.length > MAX_ZONE_SEGMENT_LENGTH || !ZONE_SEGMENT.test(s)) fail(`zone segment "${s.slice(0, 70)}" is invalid`)
  }
}

/**
 * Checks every field of a parsed record and returns a frozen copy holding the
 * known fields only. Throws InvalidRecordError on the first problem.
 */
export function validateRecord (value: unknown): NodeRecord {
  if (!isObject(value)) fail('record must be an object')
  const peerId = str(value, 'peerId', MAX_PEER_ID_LENGTH)
  if (!PEER_ID.test(peerId)) fail('peerId is not a base58btc peer id')
  const seq = uint(value, 'seq', 1)
  const meshId = str(value, 'meshId', MESH_ID_LENGTH)
  if (meshId.length !== MESH_ID_LENGTH || !HEX.test(meshId)) fail('meshId must be 32 lower-case hex digits')
  const zone = str(value, 'zone', MAX_ZONE_LENGTH)
  validateZone(zone)
  const addrsValue = value.addrs
  if (!Array.isArray(addrsValue)) fail('addrs must be an array')
  if (addrsValue.length > MAX_ADDRS) fail(`more than ${MAX_ADDRS} addrs`)
  const addrs: string[] = []
  for (const a of addrsValue) {
    if (typeof a !== 'string' || a.length > MAX_ADDR_LENGTH) fail('addrs holds an invalid entry')
    try {
      multiaddr(a)
    } catch {
      fail('addrs holds an unparseable multiaddr')
    }
    addrs.push(a)
  }
  const bulkAddr = str(value, 'bulkAddr', MAX_BULK_ADDR_LENGTH)
  const capacityBytes = uint(value, 'capacityBytes')
  const usedBytes = uint(value, 'usedBytes')
  const weight = finite(value, 'weight')
  if (weight <= 0) fail('weight must be > 0')
  const state = value.state
  if (typeof state !== 'string' || !STATES.has(state)) fail('state must be up, draining or leaving')
  const loadValue = value.load
  if (!isObject(loadValue)) fail('load must be an object')
  const load = Object.freeze({ inFlight: uint(loadValue, 'inFlight'), mbps: finite(loadValue, 'mbps') })
  if (typeof value.full !== 'boolean') fail('full must be a boolean')
  const version = str(value, 'version', MAX_VERSION_LENGTH)
  const startedAt = uint(value, 'startedAt')
  return Object.freeze({
    peerId,
    seq,
    meshId,
    zone,
    addrs: Object.freeze(addrs),
    bulkAddr,
    capacityBytes,
    usedBytes,
    weight,
    state: state as NodeRecordState,
    load,
    full: value.full,
    version,
    startedAt
  })
}

/** The record's bytes as signed: JSON in UTF-8, known fields only. */
export function encodeRecordPayload (record: NodeRecord): Uint8Array {
  const r = validateRecord(record)
  return new TextEncoder().encode(JSON.stringify(r))
}

/** Parses and validates a record payload. Bounded before it is parsed. */
export function decodeRecordPayload (bytes: Uint8Array): NodeRecord {
  if (bytes.byteLength > MAX_RECORD_BYTES) throw new RecordTooLargeError(`record payload of ${bytes.byteLength} bytes exceeds ${MAX_RECORD_BYTES}`)
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    fail('record payload is not UTF-8 JSON')
  }
  return validateRecord(value)
}
