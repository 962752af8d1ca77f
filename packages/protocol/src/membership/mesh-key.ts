/**
 * The mesh key is a libp2p private-network pre-shared key in its text form
 * (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits). The mesh id is a hash
 * of it: members of different meshes never merge maps, and the id reveals
 * nothing of the key.
 */
import { sha256 } from 'multiformats/hashes/sha2'
import { toString } from 'uint8arrays/to-string'
import { InvalidMeshKeyError } from './errors.js'

const HEADER = '/key/swarm/psk/1.0.0/'
const ENCODING = '/base16/'
const KEY_HEX = /^[0-9a-fA-F]{64}$/
const MESH_ID_CONTEXT = 'weft/mesh-id/v1\0'
/** the longest key file accepted (header, encoding, 64 digits, some whitespace) */
const MAX_KEY_FILE_BYTES = 256

export interface MeshKey {
  /** the key file's text as bytes: what `@libp2p/pnet`'s preSharedKey({ psk }) takes */
  readonly psk: Uint8Array
  /** the 32 secret bytes */
  readonly secret: Uint8Array
  /** the mesh id derived from the secret */
  readonly meshId: string
}

async function hashToMeshId (input: Uint8Array): Promise<string> {
  const digest = await sha256.digest(input)
  return toString(digest.digest.subarray(0, 16), 'base16')
}

/** Parses a mesh key file's content; throws InvalidMeshKeyError when it is not one. */
export async function parseMeshKey (content: Uint8Array | string): Promise<MeshKey> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content
  if (bytes.byteLength > MAX_KEY_FILE_BYTES) throw new InvalidMeshKeyError('mesh key file is too large')
  const lines = new TextDecoder().decode(bytes).split(/\r\n|\r|\n/).map(l => l.trim()).filter(l => l !== '')
  if (lines.length !== 3 || lines[0] !== HEADER || lines[1] !== ENCODING || !KEY_HEX.test(lines[2] ?? '')) {
    throw new InvalidMeshKeyError(`mesh key must be "${HEADER}", "${ENCODING}" and 64 hex digits on three lines`)
  }
  const hex = (lines[2] ?? '').toLowerCase()
  const secret = Uint8Array.from(hex.match(/../g) ?? [], h => parseInt(h, 16))
  const canonical = new TextEncoder().encode(`${HEADER}\n${ENCODING}\n${hex}`)
  const context = new TextEncoder().encode(MESH_ID_CONTEXT)
  const input = new Uint8Array(context.byteLength + secret.byteLength)
  input.set(context)
  input.set(secret, context.byteLength)
  return Object.freeze({ psk: canonical, secret, meshId: await hashToMeshId(input) })
}

/** The mesh id of a mesh run without a key (`insecureOpen`): all open meshes share it. */
export async function openMeshId (): Promise<string> {
  return hashToMeshId(new TextEncoder().encode(`${MESH_ID_CONTEXT}open`))
}
