import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import {
  LENGTH_TO_END, MAX_ADDR_BYTES, MAX_CHUNK_SIZE, MAX_CID_BYTES, MAX_ERROR_CODE_LENGTH,
  MAX_ERROR_MESSAGE_LENGTH, MAX_FORWARD, MAX_FORWARD_ADDRS, MAX_HAS_BATCH, MAX_PEER_ID_BYTES,
  MAX_PUT_FAILURE_MESSAGE_LENGTH
} from './constants.js'
import {
  BatchTooLargeError, ChunkTooLargeError, InvalidCidError, InvalidRangeError, ProtocolError
} from './errors.js'
import { MetaReader, MetaWriter } from './meta.js'
import { readChunkPolicies, writeChunkPolicies } from './policy.js'
import type { ChunkPolicy } from './policy.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** A replica further down a put chain; addrs are hints for reaching it (e.g. its bulk channel). */
export interface ForwardTarget {
  peer: PeerId
  addrs?: Multiaddr[]
}

export interface PutRequest {
  cid: CID
  /** Exact byte length of the body that follows */
  size: number
  /** Replicas to pass the chunk on to, in chain order (the first gets it next) */
  forward: ForwardTarget[]
  /** the placement policies the chunk is written under (kept by every replica; empty when unknown) */
  policies?: readonly ChunkPolicy[]
}

export interface GetRequest {
  cid: CID
  offset: number
  /** Bytes wanted; undefined reads to the end of the chunk */
  length?: number
}

/** Head of a GET answer; `length` bytes of body follow. */
export interface GetHead {
  /** Size of the whole chunk */
  size: number
  offset: number
  length: number
}

export interface PutStored {
  peer: PeerId
  /** The replica already held the chunk */
  existed: boolean
}

export interface PutFailed {
  peer: PeerId
  code: string
  message: string
}

/** Which replicas of a put chain hold a verified, fsynced copy, and which do not (and why). */
export interface PutResult {
  stored: PutStored[]
  failed: PutFailed[]
}

export interface ChunkStat {
  size: number
  partition: number
  /** Milliseconds since the epoch */
  storedAt: number
}

export interface ErrorMessage {
  code: string
  message: string
}

function writeCid (w: MetaWriter, cid: CID): void {
  w.bytes8(cid.bytes)
}

function readCid (r: MetaReader): CID {
  const bytes = r.bytes8(MAX_CID_BYTES, 'cid')
  try {
    // copy: the CID outlives the frame buffer its bytes arrived in
    return CID.decode(bytes.slice())
  } catch {
    throw new InvalidCidError('bytes do not decode as a CID')
  }
}

function readPeer (r: MetaReader): PeerId {
  const bytes = r.bytes8(MAX_PEER_ID_BYTES, 'peer id')
  try {
    return peerIdFromMultihash(Digest.decode(bytes.slice()))
  } catch {
    throw new ProtocolError('bytes do not decode as a peer id')
  }
}

function writePeer (w: MetaWriter, peer: PeerId): void {
  w.bytes8(peer.toMultihash().bytes)
}

function checkSize (size: number): void {
  if (!Number.isInteger(size) || size < 0) {
    throw new RangeError(`invalid size ${size}`)
  }
  if (size > MAX_CHUNK_SIZE) {
    throw new ChunkTooLargeError(`chunk of ${size} bytes exceeds ${MAX_CHUNK_SIZE}`)
  }
}

export function encodePutRequest (req: PutRequest): Uint8Array {
  checkSize(req.size)
  if (req.forward.length > MAX_FORWARD) {
    throw new BatchTooLargeError(`forward list of ${req.forward.length} exceeds ${MAX_FORWARD}`)
  }
  const w = new MetaWriter()
  writeCid(w, req.cid)
  w.u32(req.size)
  w.u8(req.forward.length)
  for (const target of req.forward) {
    writePeer(w, target.peer)
    const addrs = (target.addrs ?? []).slice(0, MAX_FORWARD_ADDRS).filter(a => a.bytes.byteLength <= MAX_ADDR_BYTES)
    w.u8(addrs.length)
    for (const addr of addrs) {
      w.bytes8(addr.bytes)
    }
  }
  writeChunkPolicies(w, req.policies ?? [])
  return w.finish()
}

export function decodePutRequest (meta: Uint8Array): PutRequest {
  const r = new MetaReader(meta)
  const cid = readCid(r)
  const size = r.u32()
  checkSize(size)
  const count = r.u8()
  if (count > MAX_FORWARD) {
    throw new BatchTooLargeError(`forward list of ${count} exceeds ${MAX_FORWARD}`)
  }
  const forward: ForwardTarget[] = []
  for (let i = 0; i < count; i++) {
    const peer = readPeer(r)
    const addrCount = r.u8()
    if (addrCount > MAX_FORWARD_ADDRS) {
      throw new BatchTooLargeError(`${addrCount} addresses for one forward target exceed ${MAX_FORWARD_ADDRS}`)
    }
    const addrs: Multiaddr[] = []
    for (let j = 0; j < addrCount; j++) {
      const bytes = r.bytes8(MAX_ADDR_BYTES, 'address')
      try {
        addrs.push(multiaddr(bytes.slice()))
      } catch {
        throw new ProtocolError('bytes do not decode as a multiaddr')
      }
    }
    forward.push(addrs.length > 0 ? { peer, addrs } : { peer })
  }
  const policies = readChunkPolicies(r)
  r.end()
  return policies.length > 0 ? { cid, size, forward, policies } : { cid, size, forward }
}

export function encodeGetRequest (req: GetRequest): Uint8Array {
  const w = new MetaWriter()
  writeCid(w, req.cid)
  w.u32(req.offset)
  w.u32(req.length ?? LENGTH_TO_END)
  return w.finish()
}

export function decodeGetRequest (meta: Uint8Array): GetRequest {
  const r = new MetaReader(meta)
  const cid = readCid(r)
  const offset = r.u32()
  const length = r.u32()
  r.end()
  if (offset > MAX_CHUNK_SIZE || (length !== LENGTH_TO_END && length > MAX_CHUNK_SIZE)) {
    throw new InvalidRangeError(`range ${offset}+${length} lies outside any chunk`)
  }
  return length === LENGTH_TO_END ? { cid, offset } : { cid, offset, length }
}

export function encodeGetHead (head: GetHead): Uint8Array {
  return new MetaWriter().u32(head.size).u32(head.offset).u32(head.length).finish()
}

export function decodeGetHead (meta: Uint8Array): GetHead {
  const r = new MetaReader(meta)
  const head = { size: r.u32(), offset: r.u32(), length: r.u32() }
  r.end()
  if (head.size > MAX_CHUNK_SIZE || head.offset + head.length > head.size) {
    throw new ProtocolError(`invalid GET answer range ${head.offset}+${head.length} of ${head.size}`)
  }
  return head
}

/** HAS carries the count in meta and the ids, each u8-length-prefixed, in the payload. */
export function encodeHasRequest (cids: CID[]): { meta: Uint8Array, payload: Uint8Array } {
  if (cids.length > MAX_HAS_BATCH) {
    throw new BatchTooLargeError(`batch of ${cids.length} exceeds ${MAX_HAS_BATCH}`)
  }
  const w = new MetaWriter()
  for (const cid of cids) {
    writeCid(w, cid)
  }
  return { meta: new MetaWriter().u16(cids.length).finish(), payload: w.finish() }
}

export function decodeHasRequest (meta: Uint8Array, payload: Uint8Array): CID[] {
  const m = new MetaReader(meta)
  const count = m.u16()
  m.end()
  if (count > MAX_HAS_BATCH) {
    throw new BatchTooLargeError(`batch of ${count} exceeds ${MAX_HAS_BATCH}`)
  }
  const r = new MetaReader(payload)
  const cids: CID[] = []
  for (let i = 0; i < count; i++) {
    cids.push(readCid(r))
  }
  r.end()
  return cids
}

export function encodeHasResult (found: boolean[]): Uint8Array {
  const bitmap = new Uint8Array(Math.ceil(found.length / 8))
  found.forEach((f, i) => {
    if (f) {
      bitmap[i >> 3]! |= 1 << (i & 7)
    }
  })
  const w = new MetaWriter().u16(found.length)
  return concat(w.finish(), bitmap)
}

export function decodeHasResult (meta: Uint8Array): boolean[] {
  const r = new MetaReader(meta)
  const count = r.u16()
  if (count > MAX_HAS_BATCH) {
    throw new ProtocolError(`HAS answer of ${count} exceeds ${MAX_HAS_BATCH}`)
  }
  const bitmap = r.raw(Math.ceil(count / 8))
  r.end()
  const out: boolean[] = []
  for (let i = 0; i < count; i++) {
    out.push((bitmap[i >> 3]! & (1 << (i & 7))) !== 0)
  }
  return out
}

/** STAT and DELETE requests carry only a chunk id. */
export function encodeCidRequest (cid: CID): Uint8Array {
  const w = new MetaWriter()
  writeCid(w, cid)
  return w.finish()
}

export function decodeCidRequest (meta: Uint8Array): CID {
  const r = new MetaReader(meta)
  const cid = readCid(r)
  r.end()
  return cid
}

export function encodeStatResult (stat: ChunkStat | undefined): Uint8Array {
  if (stat == null) {
    return new MetaWriter().u8(0).finish()
  }
  return new MetaWriter().u8(1).u32(stat.size).u32(stat.partition).f64(stat.storedAt).finish()
}

export function decodeStatResult (meta: Uint8Array): ChunkStat | undefined {
  const r = new MetaReader(meta)
  const found = r.u8()
  if (found === 0) {
    r.end()
    return undefined
  }
  const stat = { size: r.u32(), partition: r.u32(), storedAt: r.f64() }
  r.end()
  return stat
}

export function encodeDeleteResult (existed: boolean): Uint8Array {
  return new MetaWriter().u8(existed ? 1 : 0).finish()
}

export function decodeDeleteResult (meta: Uint8Array): boolean {
  const r = new MetaReader(meta)
  const existed = r.u8() !== 0
  r.end()
  return existed
}

export function encodePutResult (result: PutResult): Uint8Array {
  if (result.stored.length > MAX_FORWARD + 1 || result.failed.length > MAX_FORWARD + 1) {
    throw new RangeError('a put result lists at most MAX_FORWARD + 1 replicas')
  }
  const w = new MetaWriter()
  w.u8(result.stored.length)
  for (const s of result.stored) {
    writePeer(w, s.peer)
    w.u8(s.existed ? 1 : 0)
  }
  w.u8(result.failed.length)
  for (const f of result.failed) {
    writePeer(w, f.peer)
    w.text8(f.code.slice(0, MAX_ERROR_CODE_LENGTH))
    w.text16(f.message, MAX_PUT_FAILURE_MESSAGE_LENGTH)
  }
  return w.finish()
}

export function decodePutResult (meta: Uint8Array): PutResult {
  const r = new MetaReader(meta)
  const stored: PutStored[] = []
  const storedCount = r.u8()
  if (storedCount > MAX_FORWARD + 1) {
    throw new ProtocolError(`put result lists ${storedCount} stored replicas`)
  }
  for (let i = 0; i < storedCount; i++) {
    stored.push({ peer: readPeer(r), existed: r.u8() !== 0 })
  }
  const failed: PutFailed[] = []
  const failedCount = r.u8()
  if (failedCount > MAX_FORWARD + 1) {
    throw new ProtocolError(`put result lists ${failedCount} failed replicas`)
  }
  for (let i = 0; i < failedCount; i++) {
    failed.push({
      peer: readPeer(r),
      code: r.text8(MAX_ERROR_CODE_LENGTH, 'error code'),
      message: r.text16(MAX_PUT_FAILURE_MESSAGE_LENGTH, 'error message')
    })
  }
  r.end()
  return { stored, failed }
}

export function encodeError (err: ErrorMessage): Uint8Array {
  return new MetaWriter()
    .text8(err.code.slice(0, MAX_ERROR_CODE_LENGTH))
    .text16(err.message, MAX_ERROR_MESSAGE_LENGTH)
    .finish()
}

export function decodeError (meta: Uint8Array): ErrorMessage {
  const r = new MetaReader(meta)
  const code = r.text8(MAX_ERROR_CODE_LENGTH, 'error code')
  const message = r.text16(MAX_ERROR_MESSAGE_LENGTH, 'error message')
  r.end()
  return { code, message }
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}
