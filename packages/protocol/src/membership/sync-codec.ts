/**
 * Frames of the sync exchange (MEMBERS_SYNC_PROTOCOL). Each frame is one
 * length-prefixed message whose first byte is its kind:
 *
 * - digest (1): repeated `peerId (varint length + UTF-8), seq, ageMs`
 * - record (2): `ageMs`, then a signed record's bytes
 * - want (3): repeated `peerId`
 * - done (4): ends a phase
 *
 * `ageMs` is how long ago the sender last heard from that member: a liveness
 * hint, so a newcomer does not count long-dead members as up.
 */
import { MAX_PEER_ID_LENGTH, MAX_RECORD_BYTES, MAX_SYNC_FRAME_BYTES } from './constants.js'
import { MalformedMemberMessageError } from './errors.js'
import { readVarint, varintLength, writeVarint } from './varint.js'

const DIGEST = 1
const RECORD = 2
const WANT = 3
const DONE = 4
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]+$/

export interface DigestEntry {
  readonly peerId: string
  readonly seq: number
  /** ms since the sender last heard from this member */
  readonly ageMs: number
}

export type SyncFrame =
  | { readonly kind: 'digest', readonly entries: DigestEntry[] }
  | { readonly kind: 'record', readonly ageMs: number, readonly record: Uint8Array }
  | { readonly kind: 'want', readonly peerIds: string[] }
  | { readonly kind: 'done' }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function clampAge (ageMs: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(ageMs)))
}

/** Packs items into as few frames as fit in MAX_SYNC_FRAME_BYTES. */
function pack<T> (kind: number, items: Iterable<T>, size: (item: T) => number, write: (item: T, buf: Uint8Array, offset: number) => number): Uint8Array[] {
  const frames: Uint8Array[] = []
  let batch: T[] = []
  let bytes = 1
  const flush = (): void => {
    const buf = new Uint8Array(bytes)
    buf[0] = kind
    let offset = 1
    for (const item of batch) offset = write(item, buf, offset)
    frames.push(buf)
    batch = []
    bytes = 1
  }
  for (const item of items) {
    const n = size(item)
    if (bytes + n > MAX_SYNC_FRAME_BYTES && batch.length > 0) flush()
    batch.push(item)
    bytes += n
  }
  if (batch.length > 0) flush()
  return frames
}

function idSize (id: string): number {
  const n = encoder.encode(id).byteLength
  return varintLength(n) + n
}

function writeId (id: string, buf: Uint8Array, offset: number): number {
  const bytes = encoder.encode(id)
  offset = writeVarint(bytes.byteLength, buf, offset)
  buf.set(bytes, offset)
  return offset + bytes.byteLength
}

function readId (buf: Uint8Array, offset: number): [string, number] {
  const [length, start] = readVarint(buf, offset)
  if (length === 0 || length > MAX_PEER_ID_LENGTH) throw new MalformedMemberMessageError('peer id length out of bounds')
  const end = start + length
  if (end > buf.byteLength) throw new MalformedMemberMessageError('truncated peer id')
  let id: string
  try {
    id = decoder.decode(buf.subarray(start, end))
  } catch {
    throw new MalformedMemberMessageError('peer id is not UTF-8')
  }
  if (!PEER_ID.test(id)) throw new MalformedMemberMessageError('peer id is not base58btc')
  return [id, end]
}

export function encodeDigestFrames (entries: Iterable<DigestEntry>): Uint8Array[] {
  return pack(DIGEST, entries,
    e => idSize(e.peerId) + varintLength(e.seq) + varintLength(clampAge(e.ageMs)),
    (e, buf, offset) => writeVarint(clampAge(e.ageMs), buf, writeVarint(e.seq, buf, writeId(e.peerId, buf, offset))))
}

export function encodeWantFrames (peerIds: Iterable<string>): Uint8Array[] {
  return pack(WANT, peerIds, idSize, writeId)
}

export function encodeRecordFrame (ageMs: number, record: Uint8Array): Uint8Array {
  if (record.byteLength > MAX_RECORD_BYTES) throw new RangeError('record too large')
  const age = clampAge(ageMs)
  const buf = new Uint8Array(1 + varintLength(age) + record.byteLength)
  buf[0] = RECORD
  buf.set(record, writeVarint(age, buf, 1))
  return buf
}

export function encodeDoneFrame (): Uint8Array {
  return Uint8Array.of(DONE)
}

/** Decodes one frame; throws MalformedMemberMessageError. */
export function decodeSyncFrame (buf: Uint8Array): SyncFrame {
  if (buf.byteLength > MAX_SYNC_FRAME_BYTES) throw new MalformedMemberMessageError('sync frame too large')
  const kind = buf[0]
  switch (kind) {
    case DIGEST: {
      const entries: DigestEntry[] = []
      let offset = 1
      while (offset < buf.byteLength) {
        const [peerId, afterId] = readId(buf, offset)
        const [seq, afterSeq] = readVarint(buf, afterId)
        const [ageMs, afterAge] = readVarint(buf, afterSeq)
        if (seq < 1) throw new MalformedMemberMessageError('digest seq must be >= 1')
        entries.push({ peerId, seq, ageMs })
        offset = afterAge
      }
      return { kind: 'digest', entries }
    }
    case RECORD: {
      const [ageMs, offset] = readVarint(buf, 1)
      const record = buf.subarray(offset)
      if (record.byteLength === 0) throw new MalformedMemberMessageError('empty record frame')
      if (record.byteLength > MAX_RECORD_BYTES) throw new MalformedMemberMessageError('record frame too large')
      return { kind: 'record', ageMs, record }
    }
    case WANT: {
      const peerIds: string[] = []
      let offset = 1
      while (offset < buf.byteLength) {
        const [id, next] = readId(buf, offset)
        peerIds.push(id)
        offset = next
      }
      return { kind: 'want', peerIds }
    }
    case DONE:
      if (buf.byteLength !== 1) throw new MalformedMemberMessageError('trailing bytes after done')
      return { kind: 'done' }
    default:
      throw new MalformedMemberMessageError(`unknown sync frame kind ${kind}`)
  }
}
