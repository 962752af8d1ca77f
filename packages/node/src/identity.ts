/**
 * The node's libp2p identity lives in `<data>/peer.key` (protobuf, mode 0600),
 * so a restarted node is the same peer.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { PEER_KEY_FILE } from './constants.js'
import { InvalidPeerKeyError } from './errors.js'
import { writeFileAtomic } from './files.js'
import type { PrivateKey } from '@libp2p/interface'

/** Loads the data dir's key, or creates and persists a new Ed25519 key. */
export async function loadOrCreateIdentity (dataDir: string): Promise<PrivateKey> {
  const file = path.join(dataDir, PEER_KEY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (bytes != null) {
    let key: PrivateKey
    try {
      key = privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new InvalidPeerKeyError(`${file} is not a libp2p private key`, undefined, { cause: err })
    }
    if (key.type !== 'Ed25519') throw new InvalidPeerKeyError(`${file} holds a ${key.type} key; weft peers use Ed25519`)
    return key
  }
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(file, privateKeyToProtobuf(key), 0o600)
  return key
}
