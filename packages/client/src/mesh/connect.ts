/**
 * connectMesh(): validates its options, builds the client's libp2p host and
 * a MeshConnection on it, and joins through the seeds.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_MAX_MEMBERS, MeshKeyRequiredError, membersTopic, openMeshId, parseMeshKey, validateZone } from '@weft/protocol'
import * as C from './constants.js'
import { MeshConnection } from './connection.js'
import { createClientHost } from './host.js'
import type { MeshTimings } from './connection.js'
import type { PrivateKey } from '@libp2p/interface'
import type { ChunkClientInit } from '@weft/protocol'

export interface ConnectMeshInit {
  /** multiaddrs of any members (with or without /p2p/) */
  seeds: string[]
  /** the mesh key file's content; required unless insecureOpen */
  meshKey?: Uint8Array | string
  /** join a mesh run without a key (development only) */
  insecureOpen?: boolean
  /**
   * this client's failure-domain path, for reading from nearby replicas
   *
   * @default ''
   */
  zone?: string
  timings?: Partial<MeshTimings>
  /** aborts the connect */
  signal?: AbortSignal
  /**
   * the client's identity
   *
   * @default a new Ed25519 key
   */
  privateKey?: PrivateKey
  /**
   * members to stay connected to
   *
   * @default 3
   */
  targetPeers?: number
  /**
   * most members the view holds
   *
   * @default 4096
   */
  maxMembers?: number
  /**
   * libp2p's connection limit
   *
   * @default 128
   */
  maxConnections?: number
  /** options of `chunkClient` (its transport is this connection) */
  chunks?: Omit<ChunkClientInit, 'transport'>
  /**
   * false: carry chunk traffic over libp2p only, never the nodes' TLS bulk
   * channel
   *
   * @default true
   */
  bulk?: boolean
}

function resolveTimings (t: Partial<MeshTimings> = {}): MeshTimings {
  const timings: MeshTimings = {
    downAfterMs: t.downAfterMs ?? C.DEFAULT_DOWN_AFTER_MS,
    resyncMs: t.resyncMs ?? C.DEFAULT_RESYNC_MS,
    dialTimeoutMs: t.dialTimeoutMs ?? C.DEFAULT_DIAL_TIMEOUT_MS,
    connectTimeoutMs: t.connectTimeoutMs ?? C.DEFAULT_CONNECT_TIMEOUT_MS
  }
  for (const [name, value] of Object.entries(timings)) {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new TypeError(`timings.${name} must be a positive number of ms`)
    // timers and AbortSignal.timeout want whole ms
    timings[name as keyof MeshTimings] = Math.ceil(value)
  }
  return timings
}

/**
 * Connects to a mesh through any of `seeds`: resolves once a seed answered a
 * full record sync (so `getMap()` already holds every member the seed knew),
 * and keeps the map fresh until `close()`. Throws NoSeedReachableError
 * (ERR_NO_SEED_REACHABLE) when no seed answered within
 * `timings.connectTimeoutMs`, having retried with backoff; a wrong mesh key
 * looks the same (the handshake cannot complete).
 */
export async function connectMesh (init: ConnectMeshInit): Promise<MeshConnection> {
  if (!Array.isArray(init.seeds) || init.seeds.length === 0) throw new TypeError('connectMesh needs at least one seed multiaddr')
  const seeds = init.seeds.map(s => {
    try {
      return multiaddr(s)
    } catch (err) {
      throw new TypeError(`seed ${JSON.stringify(s)} is not a multiaddr: ${(err as Error).message}`, { cause: err })
    }
  })
  if (init.meshKey == null && init.insecureOpen !== true) {
    throw new MeshKeyRequiredError('a mesh key is required (or insecureOpen: true, for development only)')
  }
  const meshKey = init.meshKey != null ? await parseMeshKey(init.meshKey) : undefined
  const meshId = meshKey?.meshId ?? await openMeshId()
  const zone = init.zone ?? ''
  validateZone(zone)
  const timings = resolveTimings(init.timings)
  init.signal?.throwIfAborted()
  const topic = membersTopic(meshId)
  // the key is ours (not libp2p's default) because the bulk channel's TLS
  // certificate is bound to it too
  const privateKey = init.privateKey ?? await generateKeyPair('Ed25519')
  const libp2p = await createClientHost({
    privateKey,
    psk: meshKey?.psk,
    topic,
    maxConnections: init.maxConnections ?? C.DEFAULT_MAX_CONNECTIONS,
    dialTimeoutMs: timings.dialTimeoutMs
  })
  const mesh = new MeshConnection({
    libp2p,
    meshId,
    topic,
    zone,
    seeds,
    timings,
    targetPeers: init.targetPeers ?? C.DEFAULT_TARGET_PEERS,
    maxMembers: init.maxMembers ?? DEFAULT_MAX_MEMBERS,
    chunks: init.chunks,
    privateKey: init.bulk === false ? undefined : privateKey
  })
  try {
    mesh.listen()
    await mesh.join(timings.connectTimeoutMs, init.signal)
  } catch (err) {
    await mesh.close()
    throw err
  }
  return mesh
}
