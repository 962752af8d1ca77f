/**
 * The chunk protocol: put (chain-replicated), get (ranges), has (batches),
 * stat and delete, as small versioned binary frames. The codec and sessions
 * do not know their transport; `streamToDuplex`/`libp2pTransport` carry them
 * over libp2p (`/weft/chunk/1`), a later bulk channel over TLS.
 *
 * @example
 * ```ts
 * import { createChunkClient, libp2pTransport } from '@weft/protocol'
 *
 * const chunks = createChunkClient({ transport: libp2pTransport(libp2p) })
 * const result = await chunks.put(first, cid, bytes, { forward: [second, third] })
 * for await (const buf of chunks.get(second, cid)) { ... }
 * ```
 */
export * from './constants.js'
export * from './errors.js'
export { FrameType, FrameFlags, FrameDecoder, encodeFrame, encodeFrameHead, isRequestType, isResponseType } from './frame.js'
export type { Frame } from './frame.js'
export * from './messages.js'
export { chunkPolicyKey, mergeChunkPolicies, normaliseChunkPolicy, validateChunkPolicy } from './policy.js'
export type { ChunkPolicy, ChunkSpread } from './policy.js'
export type { ByteDuplex } from './duplex.js'
export { ByteQueue } from './byte-queue.js'
export { exactSlices } from './slices.js'
export { ClientSession } from './client-session.js'
export type { ClientSessionInit, GetResponse, SessionGetOptions } from './client-session.js'
export { FrameBufferPool, POOLED_FRAME_BYTES } from './frame-pool.js'
export type { FrameAllocator } from './frame-pool.js'
export { ServerSession } from './server-session.js'
export type { ChunkHandler, ChunkRequestContext, GetAnswer, RequestLimiter, ServerSessionInit } from './server-session.js'
export { streamToDuplex, libp2pTransport } from './libp2p.js'
export type { StreamDuplexInit, StreamDialer, Libp2pTransportInit } from './libp2p.js'
export { createChunkClient } from './client.js'
export type { ChunkClient, ChunkClientInit, ChunkTransport, ChunkPutOptions, ChunkGetOptions } from './client.js'
