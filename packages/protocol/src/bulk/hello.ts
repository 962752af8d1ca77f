import { BULK_HELLO_LENGTH, BULK_VERSION } from './constants.js'
import { BulkHandshakeError } from './errors.js'

/**
 * The bulk hello: the only bytes of the bulk channel that are not chunk
 * frames. After TLS, the server checks the client's certificate and whether
 * it serves that peer, then sends these 8 bytes; the client sends nothing
 * until it has read them. So a refused client learns it at connect time (and
 * can fall back) instead of on its first request.
 *
 * | offset | size | field |
 * | 0 | 4 | magic `WBLK` |
 * | 4 | 1 | version (1) |
 * | 5 | 1 | status (see BulkHelloStatus) |
 * | 6 | 2 | reserved, 0 |
 */
export const BulkHelloStatus = {
  READY: 0,
  /** Not a peer this server serves (not a mesh member, not connected over the mesh) */
  NOT_ALLOWED: 1,
  /** Too many connections from this peer */
  BUSY: 2
} as const

export type BulkHelloStatus = typeof BulkHelloStatus[keyof typeof BulkHelloStatus]

const MAGIC = [0x57, 0x42, 0x4C, 0x4B]

export function encodeHello (status: BulkHelloStatus): Uint8Array {
  const out = new Uint8Array(BULK_HELLO_LENGTH)
  out.set(MAGIC, 0)
  out[4] = BULK_VERSION
  out[5] = status
  return out
}

/** Parse exactly BULK_HELLO_LENGTH bytes; throws BulkHandshakeError on anything else. */
export function decodeHello (bytes: Uint8Array): BulkHelloStatus {
  if (bytes.byteLength !== BULK_HELLO_LENGTH || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new BulkHandshakeError('the bulk server did not answer with a bulk hello')
  }
  if (bytes[4] !== BULK_VERSION) {
    throw new BulkHandshakeError(`the bulk server speaks version ${bytes[4]}, not ${BULK_VERSION}`)
  }
  const status = bytes[5]
  if (status !== BulkHelloStatus.READY && status !== BulkHelloStatus.NOT_ALLOWED && status !== BulkHelloStatus.BUSY) {
    throw new BulkHandshakeError(`unknown bulk hello status ${status}`)
  }
  if (bytes[6] !== 0 || bytes[7] !== 0) {
    throw new BulkHandshakeError('reserved bytes of the bulk hello are not 0')
  }
  return status
}
