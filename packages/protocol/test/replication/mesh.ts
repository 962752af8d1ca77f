import { createHash } from 'node:crypto'
import { createChunkClient } from '../../src/chunk/client.js'
import { PeerUnreachableError } from '../../src/chunk/errors.js'
import { ServerSession } from '../../src/chunk/server-session.js'
import { WeftError } from '../../src/errors.js'
import { duplexPair } from '../chunk/duplex-pair.js'
import { collect, makePeer } from '../chunk/fixtures.js'
import type { ChunkClient } from '../../src/chunk/client.js'
import type { PutFailed, PutResult, PutStored } from '../../src/chunk/messages.js'
import type { ChunkHandler, ChunkRequestContext } from '../../src/chunk/server-session.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * Replicas in memory, reached over real chunk sessions on in-memory duplex
 * pairs, each storing into a Map and forwarding chain puts with its own
 * ChunkClient (store first, then forward: simpler than the node's tee, the
 * same answers). Faults are switched per replica.
 */
export class Replica implements ChunkHandler {
  readonly chunks = new Map<string, Uint8Array>()
  /** refuses with ERR_STORE_FULL */
  full = false
  /** claims these peers stored the chunk too (a lying replica) */
  alsoClaims: PeerId[] = []
  puts = 0

  constructor (readonly peer: PeerId, private readonly mesh: Mesh) {}

  get id (): string {
    return this.peer.toString()
  }

  async put (req: { cid: CID, size: number, forward: Array<{ peer: PeerId }> }, body: AsyncIterable<Uint8Array>, ctx: ChunkRequestContext): Promise<PutResult> {
    this.puts++
    const bytes = await collect(body)
    const stored: PutStored[] = []
    const failed: PutFailed[] = []
    const key = req.cid.toString()
    if (this.full && !this.chunks.has(key)) {
      failed.push({ peer: this.peer, code: 'ERR_STORE_FULL', message: 'full' })
    } else if (!Buffer.from(req.cid.multihash.digest).equals(createHash('sha256').update(bytes).digest())) {
      throw new WeftError('bad hash', 'ERR_HASH_MISMATCH')
    } else {
      stored.push({ peer: this.peer, existed: this.chunks.has(key) })
      this.chunks.set(key, bytes)
    }
    const [next, ...rest] = req.forward
    if (next != null) {
      const down = await this.mesh.clientOf(this).put(next.peer, req.cid, bytes, { forward: rest, signal: ctx.signal })
      stored.push(...down.stored)
      failed.push(...down.failed)
    }
    stored.push(...this.alsoClaims.map(peer => ({ peer, existed: false })))
    return { stored, failed }
  }

  async get (): Promise<never> {
    throw new WeftError('not used', 'ERR_INTERNAL')
  }

  async has (cids: CID[]): Promise<boolean[]> {
    return cids.map(c => this.chunks.has(c.toString()))
  }

  async stat (): Promise<undefined> {
    return undefined
  }

  async delete (): Promise<boolean> {
    return false
  }
}

export class Mesh {
  readonly replicas: Replica[] = []
  /** ids of replicas that cannot be reached */
  readonly down = new Set<string>()
  private readonly clients = new Map<string, ChunkClient>()
  private readonly sessions: ServerSession[] = []

  static async create (n: number): Promise<Mesh> {
    const mesh = new Mesh()
    for (let i = 0; i < n; i++) mesh.replicas.push(new Replica(await makePeer(), mesh))
    return mesh
  }

  get ids (): string[] {
    return this.replicas.map(r => r.id)
  }

  replica (id: string): Replica {
    const r = this.replicas.find(x => x.id === id)
    if (r == null) throw new Error(`no replica ${id}`)
    return r
  }

  /** A client as `from` (a replica, or an outside writer when undefined). */
  clientOf (from?: Replica): ChunkClient {
    const key = from?.id ?? 'writer'
    let client = this.clients.get(key)
    if (client == null) {
      client = createChunkClient({
        transport: async (peer) => {
          const target = this.replicas.find(r => r.peer.equals(peer))
          if (target == null || this.down.has(target.id)) throw new PeerUnreachableError(`${peer.toString()} is down`)
          const [a, b] = duplexPair()
          const session = new ServerSession(b, { handler: target, remotePeer: from?.peer })
          this.sessions.push(session)
          void session.run()
          return a
        }
      })
      this.clients.set(key, client)
    }
    return client
  }

  /** Peers holding `cid`. */
  holders (cid: CID): string[] {
    return this.replicas.filter(r => r.chunks.has(cid.toString())).map(r => r.id)
  }

  async close (): Promise<void> {
    await Promise.all([...this.clients.values()].map(async c => c.close()))
    for (const s of this.sessions) s.abort(new Error('test over'))
  }
}
