/**
 * The ref protocol (`/weft/refs/1`): the mutable names `bucket/key ->
 * record` (object refs and bucket records) on their replicas. PUT (newest
 * version wins), GET, LIST (a bucket's records in key order, tombstones
 * included, paginated), PARTITION (a partition's records, for repair;
 * members only) and REFERENCED (which of a batch of chunk ids a live ref
 * held there reaches, for garbage collection; members only), as small
 * length-prefixed frames with request ids over pooled streams, answered
 * with typed errors.
 *
 * @example
 * ```ts
 * import { createRefPeerClient, refsTransport } from '@weft/protocol'
 *
 * const refs = createRefPeerClient({ transport: refsTransport(libp2p) })
 * const { status, current } = await refs.put(peer, record)
 * const held = await refs.get(peer, { bucket: 'photos', key: 'cat.jpg' })
 * const { records, more } = await refs.list(peer, { bucket: 'photos', prefix: '2024/', limit: 1000 })
 * ```
 */
export * from './constants.js'
export { InvalidRefRequestError, refErrorFromWire } from './errors.js'
export { RefFrameType, RefFrameDecoder, encodeRefFrame, isRefRequestType } from './frame.js'
export type { RefFrame } from './frame.js'
export * from './messages.js'
export { compareKeys, decodeStoredRecord, encodeStoredRecord, isBucketRecord, recordLocation } from './records.js'
export type { RecordLocation, StoredRecord } from './records.js'
export { RefClientSession } from './client-session.js'
export type { RefClientSessionInit } from './client-session.js'
export { RefServerSession } from './server-session.js'
export type { RefHandler, RefRequestContext, RefServerSessionInit } from './server-session.js'
export { createRefPeerClient, refsTransport } from './client.js'
export type { RecordPage, ReferencedOptions, RefPeerClient, RefPeerClientInit, RefTransport, RefsTransportInit } from './client.js'
