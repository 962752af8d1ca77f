/**
 * The record sync exchange: pull-push anti-entropy over one stream.
 *
 * 1. requester -> responder: digest frames (peerId, seq, ageMs of every
 *    record it holds; none for a client that holds nothing), then done
 * 2. responder -> requester: each record the requester lacks or holds an
 *    older seq of, then want frames naming the records the requester holds
 *    newer, then done
 * 3. requester -> responder: the wanted records, then done; both close
 *
 * Used for joining (pull everything, push one's own), for periodic
 * anti-entropy between random members, and by non-member clients that only
 * pull. Every count read from the remote is bounded by `maxMembers`; records
 * are verified by the caller's `receive` (openRecord), and a remote that sends
 * more than `maxRejected` bad ones is cut off.
 */
import { DEFAULT_MAX_MEMBERS, MAX_SYNC_FRAME_BYTES } from './constants.js'
import { MalformedMemberMessageError } from './errors.js'
import { FrameReader, sendFrame } from './framing.js'
import { decodeSyncFrame, encodeDigestFrames, encodeDoneFrame, encodeRecordFrame, encodeWantFrames } from './sync-codec.js'
import type { DigestEntry } from './sync-codec.js'
import type { AbortOptions, Stream } from '@libp2p/interface'

export interface MemberSyncLocal {
  /** every record held: the digest (a client holding nothing yields nothing) */
  entries(): Iterable<DigestEntry>
  /** the signed bytes of one held record, with its seq and liveness age */
  lookup(peerId: string): { seq: number, bytes: Uint8Array, ageMs: number } | undefined
  /** verifies and merges a record from the remote; throws a typed error when it is invalid */
  receive(record: Uint8Array, ageMs: number): Promise<void>
  /** a liveness hint from the remote's digest */
  observe?(entry: DigestEntry): void
}

export interface MemberSyncOptions extends AbortOptions {
  /**
   * most digest entries, records and wants read from the remote
   *
   * @default 4096
   */
  maxMembers?: number
  /**
   * invalid records tolerated before the exchange is aborted
   *
   * @default 16
   */
  maxRejected?: number
}

export interface MemberSyncResult {
  /** records received and accepted by `receive` */
  received: number
  /** records received and rejected by `receive` */
  rejected: number
  /** records sent */
  sent: number
}

const DEFAULT_MAX_REJECTED = 16

class Session {
  readonly result: MemberSyncResult = { received: 0, rejected: 0, sent: 0 }
  readonly reader: FrameReader
  readonly maxMembers: number
  readonly maxRejected: number

  constructor (readonly stream: Stream, readonly local: MemberSyncLocal, readonly options: MemberSyncOptions) {
    this.reader = new FrameReader(stream, MAX_SYNC_FRAME_BYTES)
    this.maxMembers = options.maxMembers ?? DEFAULT_MAX_MEMBERS
    this.maxRejected = options.maxRejected ?? DEFAULT_MAX_REJECTED
  }

  async next (): Promise<ReturnType<typeof decodeSyncFrame>> {
    const bytes = await this.reader.next(this.options)
    if (bytes === undefined) throw new MalformedMemberMessageError('sync stream ended early')
    return decodeSyncFrame(bytes)
  }

  async send (frame: Uint8Array): Promise<void> {
    await sendFrame(this.stream, frame, this.options)
  }

  async sendRecords (peerIds: Iterable<string>): Promise<void> {
    for (const id of peerIds) {
      const held = this.local.lookup(id)
      if (held == null) continue
      await this.send(encodeRecordFrame(held.ageMs, held.bytes))
      this.result.sent++
    }
  }

  async receive (record: Uint8Array, ageMs: number, limit: number): Promise<void> {
    if (this.result.received + this.result.rejected >= limit) throw new MalformedMemberMessageError('remote sent more records than allowed')
    try {
      await this.local.receive(record, ageMs)
      this.result.received++
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw err
      this.result.rejected++
      if (this.result.rejected > this.maxRejected) throw new MalformedMemberMessageError('remote sent too many invalid records', undefined, { cause: err })
    }
  }

  /** Reads record frames until done; `limit` bounds their number. */
  async receiveRecords (limit: number): Promise<void> {
    while (true) {
      const frame = await this.next()
      if (frame.kind === 'done') return
      if (frame.kind !== 'record') throw new MalformedMemberMessageError(`unexpected ${frame.kind} frame`)
      await this.receive(frame.record, frame.ageMs, limit)
    }
  }

  async run (body: () => Promise<void>): Promise<MemberSyncResult> {
    try {
      await body()
      await this.stream.close(this.options)
      return this.result
    } catch (err) {
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    } finally {
      this.reader.dispose()
    }
  }
}

/** Runs the requester side of a sync on a freshly opened stream. */
export async function requestMemberSync (stream: Stream, local: MemberSyncLocal, options: MemberSyncOptions = {}): Promise<MemberSyncResult> {
  const s = new Session(stream, local, options)
  return s.run(async () => {
    for (const frame of encodeDigestFrames(local.entries())) await s.send(frame)
    await s.send(encodeDoneFrame())
    const wanted = new Set<string>()
    while (true) {
      const frame = await s.next()
      if (frame.kind === 'done') break
      if (frame.kind === 'record') {
        await s.receive(frame.record, frame.ageMs, s.maxMembers)
      } else if (frame.kind === 'want') {
        for (const id of frame.peerIds) wanted.add(id)
        if (wanted.size > s.maxMembers) throw new MalformedMemberMessageError('remote wants more records than allowed')
      } else {
        throw new MalformedMemberMessageError('unexpected digest frame')
      }
    }
    await s.sendRecords(wanted)
    await s.send(encodeDoneFrame())
  })
}

/** Runs the responder side of a sync on an inbound stream. */
export async function serveMemberSync (stream: Stream, local: MemberSyncLocal, options: MemberSyncOptions = {}): Promise<MemberSyncResult> {
  const s = new Session(stream, local, options)
  return s.run(async () => {
    const remote = new Map<string, DigestEntry>()
    while (true) {
      const frame = await s.next()
      if (frame.kind === 'done') break
      if (frame.kind !== 'digest') throw new MalformedMemberMessageError(`unexpected ${frame.kind} frame`)
      for (const entry of frame.entries) {
        remote.set(entry.peerId, entry)
        if (remote.size > s.maxMembers) throw new MalformedMemberMessageError('digest longer than allowed')
        local.observe?.(entry)
      }
    }
    const send: string[] = []
    for (const own of local.entries()) {
      const theirs = remote.get(own.peerId)
      if (theirs == null || theirs.seq < own.seq) send.push(own.peerId)
    }
    await s.sendRecords(send)
    const wants: string[] = []
    for (const theirs of remote.values()) {
      const own = local.lookup(theirs.peerId)
      if (own == null || own.seq < theirs.seq) wants.push(theirs.peerId)
    }
    for (const frame of encodeWantFrames(wants)) await s.send(frame)
    await s.send(encodeDoneFrame())
    await s.receiveRecords(wants.length)
  })
}
