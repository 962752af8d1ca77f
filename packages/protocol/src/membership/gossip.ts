/**
 * Messages on a mesh's membership topic. Members publish a compact heartbeat
 * every beat and their full signed record when it changed (and every few
 * beats); gossipsub signs each message as its publisher, so `from` is
 * authenticated and a heartbeat needs no signature of its own.
 *
 * Wire form: kind (1 byte), beat (varint), then the seq (varint) for a
 * heartbeat or the signed record's bytes for a record. `(seq, beat)` only
 * grows for one member, so replayed messages are recognised as stale.
 */
import { MAX_GOSSIP_BYTES, MAX_RECORD_BYTES, MEMBERS_TOPIC_PREFIX } from './constants.js'
import { MalformedMemberMessageError } from './errors.js'
import { readVarint, varintLength, writeVarint } from './varint.js'

const KIND_HEARTBEAT = 1
const KIND_RECORD = 2

export interface HeartbeatMessage {
  readonly kind: 'heartbeat'
  readonly beat: number
  /** the seq of the publisher's current record */
  readonly seq: number
}

export interface RecordMessage {
  readonly kind: 'record'
  readonly beat: number
  /** a signed record (open it with openRecord) */
  readonly record: Uint8Array
}

export type GossipMessage = HeartbeatMessage | RecordMessage

/** The membership topic of a mesh. */
export function membersTopic (meshId: string): string {
  return `${MEMBERS_TOPIC_PREFIX}${meshId.slice(0, 16)}`
}

export function encodeGossip (message: GossipMessage): Uint8Array {
  if (message.kind === 'heartbeat') {
    const buf = new Uint8Array(1 + varintLength(message.beat) + varintLength(message.seq))
    buf[0] = KIND_HEARTBEAT
    writeVarint(message.seq, buf, writeVarint(message.beat, buf, 1))
    return buf
  }
  if (message.record.byteLength > MAX_RECORD_BYTES) throw new RangeError('record too large for gossip')
  const buf = new Uint8Array(1 + varintLength(message.beat) + message.record.byteLength)
  buf[0] = KIND_RECORD
  buf.set(message.record, writeVarint(message.beat, buf, 1))
  return buf
}

/** Decodes a membership topic message; throws MalformedMemberMessageError. */
export function decodeGossip (data: Uint8Array): GossipMessage {
  if (data.byteLength > MAX_GOSSIP_BYTES) throw new MalformedMemberMessageError(`gossip message of ${data.byteLength} bytes exceeds ${MAX_GOSSIP_BYTES}`)
  const kind = data[0]
  if (kind === undefined) throw new MalformedMemberMessageError('empty gossip message')
  const [beat, offset] = readVarint(data, 1)
  if (kind === KIND_HEARTBEAT) {
    const [seq, end] = readVarint(data, offset)
    if (end !== data.byteLength) throw new MalformedMemberMessageError('trailing bytes after heartbeat')
    if (seq < 1) throw new MalformedMemberMessageError('heartbeat seq must be >= 1')
    return { kind: 'heartbeat', beat, seq }
  }
  if (kind === KIND_RECORD) {
    if (offset >= data.byteLength) throw new MalformedMemberMessageError('record message without a record')
    return { kind: 'record', beat, record: data.subarray(offset) }
  }
  throw new MalformedMemberMessageError(`unknown gossip message kind ${kind}`)
}
