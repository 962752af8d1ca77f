/**
 * An in-memory implementation of the chunk client's `get` for unit tests of
 * the read path: each peer holds chunks in a map and can be told to answer
 * slowly, send corrupt bytes, or fail. Like the real client it streams a
 * read in pieces, honours the abort signal between pieces, and hashes a
 * whole-chunk read against its id (throwing ERR_HASH_MISMATCH at the end).
 */
import { createHash } from 'node:crypto'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { HashMismatchError, WeftError, chunkCidSync } from '@weft/protocol'
import type { PeerId } from '@libp2p/interface'
import type { ChunkGetOptions } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

export interface PeerBehaviour {
  /** ms before the first piece */
  delayMs?: number
  /** flip a byte of every answer */
  corrupt?: boolean
  /** fail every request with this code */
  failCode?: string
  /** ms between pieces */
  pieceDelayMs?: number
  /** fail with ERR_SESSION_CLOSED after sending this many pieces */
  failAfterPieces?: number
}

export class MemoryChunks {
  readonly data = new Map<string, Map<string, Uint8Array>>()
  readonly behaviour = new Map<string, PeerBehaviour>()
  /** requests currently running, per peer */
  readonly active = new Map<string, number>()
  /** requests started, per peer */
  readonly started = new Map<string, number>()
  /** requests that ended because their signal fired */
  aborted = 0
  pieceSize = 64 * 1024

  store (peer: string, bytes: Uint8Array): CID {
    const cid = chunkCidSync(bytes)
    let m = this.data.get(peer)
    if (m === undefined) {
      m = new Map()
      this.data.set(peer, m)
    }
    m.set(cid.toString(), bytes)
    return cid
  }

  totalActive (): number {
    let n = 0
    for (const v of this.active.values()) n += v
    return n
  }

  get (peer: PeerId, cid: CID, options: ChunkGetOptions = {}): AsyncIterable<Uint8Array> {
    return this.read(peer.toString(), cid, options)
  }

  private async * read (peer: string, cid: CID, options: ChunkGetOptions): AsyncGenerator<Uint8Array> {
    this.started.set(peer, (this.started.get(peer) ?? 0) + 1)
    this.active.set(peer, (this.active.get(peer) ?? 0) + 1)
    try {
      const b = this.behaviour.get(peer) ?? {}
      if (b.delayMs !== undefined && b.delayMs > 0) await sleep(b.delayMs, options.signal)
      options.signal?.throwIfAborted()
      if (b.failCode !== undefined) throw new WeftError(`peer told to fail with ${b.failCode}`, b.failCode)
      const stored = this.data.get(peer)?.get(cid.toString())
      if (stored === undefined) throw new WeftError(`${cid.toString()} not found`, 'ERR_CHUNK_NOT_FOUND')
      const offset = options.offset ?? 0
      const length = options.length ?? stored.byteLength - offset
      let bytes = stored.subarray(offset, offset + length)
      if (b.corrupt === true && bytes.byteLength > 0) {
        bytes = Uint8Array.from(bytes)
        bytes[bytes.byteLength >> 1] = (bytes[bytes.byteLength >> 1] ?? 0) ^ 0xff
      }
      const whole = offset === 0 && options.length === undefined && options.verify !== false
      const hash = whole ? createHash('sha256') : undefined
      for (let at = 0, sent = 0; at < bytes.byteLength; at += this.pieceSize, sent++) {
        if (sent === b.failAfterPieces) throw new WeftError('peer went away mid-answer', 'ERR_SESSION_CLOSED')
        if (sent > 0 && b.pieceDelayMs !== undefined) await sleep(b.pieceDelayMs, options.signal)
        await new Promise(resolve => setImmediate(resolve))
        options.signal?.throwIfAborted()
        const piece = bytes.subarray(at, at + this.pieceSize)
        hash?.update(piece)
        yield piece
      }
      if (hash !== undefined && !hash.digest().equals(cid.multihash.digest)) throw new HashMismatchError('bytes do not match the id')
    } catch (err) {
      if (options.signal?.aborted === true) this.aborted++
      throw err
    } finally {
      this.active.set(peer, (this.active.get(peer) ?? 1) - 1)
    }
  }
}

export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(t)
      reject(signal?.reason as Error)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export async function peers (n: number): Promise<Array<{ id: string, peer: PeerId }>> {
  const out: Array<{ id: string, peer: PeerId }> = []
  for (let i = 0; i < n; i++) {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    out.push({ id: peer.toString(), peer })
  }
  return out
}

export function randomBytes (size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

export function concat (parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts)
}
