/**
 * Names and limits of the membership layer. Everything a peer reads from the
 * network is bounded by one of these before it is allocated or parsed.
 */

/** libp2p protocol id of the record sync (pull-push anti-entropy) exchange. */
export const MEMBERS_SYNC_PROTOCOL = '/weft/members/1'

/**
 * Gossip topics are per mesh (prefix + the first 16 hex digits of the mesh
 * id), so members of different meshes never share one. Short: the topic
 * travels in every gossip message.
 */
export const MEMBERS_TOPIC_PREFIX = '/weft/m/1/'

/** Signature domain of node records (domain separation: a record signature is valid for nothing else). */
export const RECORD_DOMAIN = 'weft-node-record'

/** Envelope payload type: a JSON node record, version 1. */
export const RECORD_CODEC = new TextEncoder().encode('/weft/node-record/json/1')

/** Largest signed record (the whole marshaled envelope). */
export const MAX_RECORD_BYTES = 4096

/** Largest gossip message: a record plus the small gossip header. */
export const MAX_GOSSIP_BYTES = MAX_RECORD_BYTES + 32

export const MAX_PEER_ID_LENGTH = 128
export const MAX_ZONE_LENGTH = 255
export const MAX_ZONE_SEGMENTS = 4
export const MAX_ZONE_SEGMENT_LENGTH = 63
export const MAX_ADDRS = 16
export const MAX_ADDR_LENGTH = 256
export const MAX_BULK_ADDR_LENGTH = 256
export const MAX_VERSION_LENGTH = 64

/** A mesh id is 16 bytes of a hash, as lower-case hex. */
export const MESH_ID_LENGTH = 32

/** Default bound on the members one map holds. */
export const DEFAULT_MAX_MEMBERS = 4096

/** Largest sync frame (digest and want frames are split to fit). */
export const MAX_SYNC_FRAME_BYTES = 32 * 1024

/** Default time a whole sync exchange may take. */
export const DEFAULT_SYNC_TIMEOUT_MS = 10_000
