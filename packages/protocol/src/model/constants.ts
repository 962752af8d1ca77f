/**
 * Limits and defaults of the data model. Decoders bound every length by these
 * before allocating, so they are part of the wire contract: raising one is a
 * protocol change.
 */
import { MAX_CHUNK_SIZE } from '../chunk/constants.js'

const KiB = 1024
const MiB = 1024 * KiB

/** default chunk size of a bucket (bytes) */
export const DEFAULT_CHUNK_SIZE = 4 * MiB
/** smallest chunk size a bucket may ask for (bytes); tiny chunks only bloat manifests */
export const MIN_CHUNK_SIZE = 1 * KiB
/**
 * largest chunk the chunk protocol moves (8 MiB); every chunk entry and
 * bucket chunk size is bounded by it
 */
export { MAX_CHUNK_SIZE } from '../chunk/constants.js'

/** default verification block size inside a chunk (bytes); 16 blocks per 4 MiB chunk */
export const DEFAULT_BLOCK_SIZE = 256 * KiB
/** smallest block size (bytes) */
export const MIN_BLOCK_SIZE = 1 * KiB
/** largest block size (bytes) */
export const MAX_BLOCK_SIZE = MAX_CHUNK_SIZE
/** bytes of one block hash (SHA-256) */
export const BLOCK_HASH_BYTES = 32

/** largest encoded manifest node a decoder accepts (bytes) */
export const MAX_MANIFEST_NODE_SIZE = 4 * MiB
/** default size at which the builder splits a manifest into a tree (bytes) */
export const DEFAULT_MANIFEST_NODE_SIZE = MAX_MANIFEST_NODE_SIZE
/** smallest node size the builder accepts (tests use small nodes to get deep trees) */
export const MIN_MANIFEST_NODE_SIZE = 256
/** tallest manifest tree a reader follows (leaf = height 0); 4 MiB nodes stay at height 1 up to ~3 PiB */
export const MAX_MANIFEST_HEIGHT = 16

/** S3's bound on user metadata: UTF-8 bytes of all keys plus values */
export const MAX_METADATA_BYTES = 2 * KiB
/** longest content type (bytes of ASCII) */
export const MAX_CONTENT_TYPE_BYTES = 256
/** longest ETag string a ref record carries */
export const MAX_ETAG_LENGTH = 64

/** S3's key length bound, in UTF-8 bytes */
export const MAX_KEY_BYTES = 1024
/** S3's bucket name bounds, in characters */
export const MIN_BUCKET_NAME_LENGTH = 3
export const MAX_BUCKET_NAME_LENGTH = 63

/**
 * The reserved bucket under which bucket records are stored as refs
 * (`BUCKETS_NAMESPACE/<name>`). A valid bucket name starts with a letter or a
 * digit, so it can never equal this.
 */
export const BUCKETS_NAMESPACE = '.buckets'

/** default copies of every chunk and ref of a bucket */
export const DEFAULT_BUCKET_REPLICAS = 3
/** most copies a bucket may ask for */
export const MAX_BUCKET_REPLICAS = 16
/**
 * default failure-domain level replicas are spread over. `host` works on a
 * single-rack mesh and still never puts two copies on one box.
 */
export const DEFAULT_BUCKET_SPREAD = 'host'
/** most zone prefixes a bucket may restrict itself to */
export const MAX_BUCKET_ALLOWED_ZONES = 32
/** longest zone prefix of a bucket policy (characters) */
export const MAX_BUCKET_ZONE_LENGTH = 255

/** how far ahead of the local wall clock a remote HLC timestamp may be (ms) */
export const DEFAULT_MAX_DRIFT_MS = 60_000
/** largest HLC wall time: 48 bits of ms (year 10889) */
export const MAX_HLC_WALL_MS = 2 ** 48 - 1
/** largest HLC counter: 32 bits */
export const MAX_HLC_COUNTER = 2 ** 32 - 1
/** longest writer id (a peer id string) in an HLC version */
export const MAX_HLC_WRITER_LENGTH = 128

/** how long a tombstone is kept before it may be collected (ms) */
export const DEFAULT_TOMBSTONE_GRACE_MS = 24 * 60 * 60 * 1000

/** largest encoded ref record (bytes) */
export const MAX_REF_RECORD_SIZE = 4 * KiB
/** largest encoded bucket record (bytes) */
export const MAX_BUCKET_RECORD_SIZE = 16 * KiB
