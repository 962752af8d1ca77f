/**
 * Signed node records: a libp2p signed envelope (RFC 0002) with weft's own
 * domain and payload type, so a record signature can never be replayed as
 * anything else, nor anything else as a record.
 */
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { equals } from 'uint8arrays/equals'
import { MAX_RECORD_BYTES, RECORD_CODEC, RECORD_DOMAIN } from './constants.js'
import { InvalidRecordError, InvalidSignatureError, RecordSignerMismatchError, RecordTooLargeError, WrongMeshError } from './errors.js'
import { decodeRecordPayload, encodeRecordPayload } from './record.js'
import type { NodeRecord } from './record.js'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'

/** A verified record together with the exact bytes that were signed and travel. */
export interface SignedRecord {
  readonly record: NodeRecord
  /** the marshaled envelope; forwarded unchanged */
  readonly bytes: Uint8Array
}

export interface OpenRecordOptions extends AbortOptions {
  /** reject records of any other mesh */
  meshId: string
}

/** Signs a record with its peer's key. Throws when the result would be too large. */
export async function signRecord (record: NodeRecord, privateKey: PrivateKey, options: AbortOptions = {}): Promise<SignedRecord> {
  const signer = peerIdFromPublicKey(privateKey.publicKey).toString()
  if (signer !== record.peerId) throw new RecordSignerMismatchError(`record for ${record.peerId} cannot be signed by ${signer}`)
  const payload = encodeRecordPayload(record)
  const envelope = await RecordEnvelope.seal({
    domain: RECORD_DOMAIN,
    codec: RECORD_CODEC,
    marshal: () => payload,
    equals: () => false
  }, privateKey, options)
  const bytes = envelope.marshal()
  if (bytes.byteLength > MAX_RECORD_BYTES) throw new RecordTooLargeError(`signed record of ${bytes.byteLength} bytes exceeds ${MAX_RECORD_BYTES}`)
  return Object.freeze({ record: decodeRecordPayload(payload), bytes })
}

/**
 * Verifies and decodes a signed record received from anyone. Checks, in
 * order of cost: size, envelope shape, payload type, key type, signature,
 * record schema, that the record names its signer, and the mesh id.
 * Throws a typed error (RecordTooLargeError, InvalidRecordError,
 * InvalidSignatureError, RecordSignerMismatchError, WrongMeshError).
 */
export async function openRecord (bytes: Uint8Array, options: OpenRecordOptions): Promise<SignedRecord> {
  if (bytes.byteLength > MAX_RECORD_BYTES) throw new RecordTooLargeError(`signed record of ${bytes.byteLength} bytes exceeds ${MAX_RECORD_BYTES}`)
  let envelope: RecordEnvelope
  try {
    envelope = RecordEnvelope.createFromProtobuf(bytes)
  } catch (err) {
    throw new InvalidRecordError('not a signed envelope', undefined, { cause: err })
  }
  if (!equals(envelope.payloadType, RECORD_CODEC)) throw new InvalidRecordError('envelope does not hold a weft node record')
  // Ed25519 only: cheap to verify, and what every weft peer uses; an RSA key would cost far more CPU per message
  if (envelope.publicKey.type !== 'Ed25519') throw new InvalidSignatureError(`unsupported key type ${envelope.publicKey.type}`)
  let valid: boolean
  try {
    valid = await envelope.validate(RECORD_DOMAIN, options)
  } catch (err) {
    throw new InvalidSignatureError('signature could not be verified', undefined, { cause: err })
  }
  if (!valid) throw new InvalidSignatureError('record signature does not verify')
  const record = decodeRecordPayload(envelope.payload)
  const signer = peerIdFromPublicKey(envelope.publicKey).toString()
  if (signer !== record.peerId) throw new RecordSignerMismatchError(`record for ${record.peerId} signed by ${signer}`)
  if (record.meshId !== options.meshId) throw new WrongMeshError(`record of mesh ${record.meshId}, expected ${options.meshId}`)
  // keep an exact copy: the caller's buffer may be a view into a reused network buffer
  return Object.freeze({ record, bytes: bytes.slice() })
}
