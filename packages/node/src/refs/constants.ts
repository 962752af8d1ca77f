/** Defaults of the node's ref service. */

/** Inbound `/weft/refs/1` streams per connection (libp2p resets the rest). */
export const DEFAULT_REFS_MAX_INBOUND_STREAMS = 4

/** Outbound `/weft/refs/1` streams per connection (the node reads refs for repair later). */
export const DEFAULT_REFS_MAX_OUTBOUND_STREAMS = 4

/** Ref sessions one peer may hold open over all its connections; more are reset. */
export const DEFAULT_REFS_MAX_SESSIONS_PER_PEER = 4

/** the level sublevel holding `bucket \0 key -> record` */
export const REFS_SUBLEVEL = 'refs'

/** the level sublevel indexing refs by partition: `partition u32 BE | bucket \0 key -> ''` */
export const REF_PARTITIONS_SUBLEVEL = 'ref-partitions'

/** the level dir opened under the data dir when no db is shared */
export const REFS_DB_DIR = 'meta-refs'
