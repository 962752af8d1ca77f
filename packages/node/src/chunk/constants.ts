/** Inbound `/weft/chunk/1` streams per connection (libp2p resets the rest). */
export const DEFAULT_CHUNK_MAX_INBOUND_STREAMS = 8

/** Outbound `/weft/chunk/1` streams per connection. */
export const DEFAULT_CHUNK_MAX_OUTBOUND_STREAMS = 16

/** Chunk sessions one peer may hold open over all its connections. */
export const DEFAULT_CHUNK_MAX_SESSIONS_PER_PEER = 8

/**
 * Requests one peer may have running over all its sessions; more get ERR_BUSY.
 * One ChunkClient keeps up to 32 in flight per peer (2 streams x 16), and the
 * server frees a slot only once its answer's last frame is written (which can
 * wait for the peer to read), so a well-behaved client's next request can
 * arrive first: 16 slots of headroom keep it from a spurious ERR_BUSY. Bounds
 * a peer's buffered put bodies to about 48 x (1 MiB + 2 x 512 KiB).
 */
export const DEFAULT_CHUNK_MAX_REQUESTS_PER_PEER = 48

/** Bytes each branch of a chain put (local store, next replica) may lag behind the other. */
export const DEFAULT_TEE_BUFFER_BYTES = 512 * 1024
