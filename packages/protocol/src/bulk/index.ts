/**
 * The bulk channel: chunk frames, unchanged, over TLS 1.3 straight on a TCP
 * socket, both ends authenticated as their libp2p peer ids (the libp2p TLS
 * certificate scheme). It carries bulk chunk traffic between peers that can
 * reach each other directly; libp2p stays the control plane and the
 * fallback. The server side lives in @weft/node (createBulkServer).
 *
 * @example
 * ```ts
 * import { bulkTransport, createChunkClient, fallbackTransport, libp2pTransport } from '@weft/protocol'
 *
 * const transport = fallbackTransport(
 *   bulkTransport({ privateKey, resolve: peer => map.member(peer.toString())?.record.bulkAddr }),
 *   libp2pTransport(libp2p)
 * )
 * const chunks = createChunkClient({ transport })
 * ```
 */
export * from './constants.js'
export * from './errors.js'
export { parseBulkAddr, formatBulkAddr } from './addr.js'
export type { BulkAddress } from './addr.js'
export { BulkHelloStatus, encodeHello, decodeHello } from './hello.js'
export { createBulkIdentity, authenticateBulkPeer, BULK_TLS_OPTIONS } from './tls.js'
export type { BulkIdentity } from './tls.js'
export { socketToDuplex } from './socket-duplex.js'
export { LentReads, lendReads } from './reads.js'
export type { SocketDuplexInit } from './socket-duplex.js'
export { connectBulk } from './connect.js'
export type { BulkConnectInit, BulkConnection } from './connect.js'
export { bulkTransport } from './transport.js'
export type { BulkTransportInit } from './transport.js'
export { fallbackTransport } from './fallback.js'
export type { FallbackTransportInit } from './fallback.js'
