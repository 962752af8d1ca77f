/**
 * Constants of the bulk channel: chunk frames over TLS 1.3 on a plain TCP
 * socket, both ends authenticated as libp2p peer ids.
 */

/**
 * The ALPN id both ends offer. A TLS client that offers another one fails the
 * handshake; one that offers none is refused after it.
 */
export const BULK_ALPN = 'weft-bulk/1'

/**
 * TLS 1.3 suites in order of preference: AES-GCM runs on AES-NI and is the
 * fastest on the boxes weft targets; ChaCha20 stays for CPUs without it.
 */
export const BULK_CIPHERSUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256'

/**
 * Length of the server's answer to a verified client (see hello.ts): magic
 * `WBLK`, version, status, two reserved bytes.
 */
export const BULK_HELLO_LENGTH = 8

/** Version byte of the bulk hello. */
export const BULK_VERSION = 1

/** Time (ms) to connect, finish TLS, check the peer id and get the server's hello. */
export const DEFAULT_BULK_CONNECT_TIMEOUT = 5_000

/** How long (ms) a peer whose bulk channel failed is served over the fallback instead. */
export const DEFAULT_BULK_RETRY_AFTER = 30_000

/** Most peers the fallback transport remembers as failed (oldest entries go first). */
export const DEFAULT_MAX_REMEMBERED_FAILURES = 4096

/**
 * Bytes a TLS socket may hold unsent before `write()` waits for 'drain'.
 * Larger than Node's 16 KiB default so a 256 KiB frame does not stall the
 * writer on every call, small enough to bound memory per connection.
 */
export const DEFAULT_BULK_WRITE_HIGH_WATER_MARK = 1024 * 1024

/** Bytes read from a socket and not yet consumed before the socket is paused. */
export const DEFAULT_BULK_READ_HIGH_WATER_MARK = 1024 * 1024

/**
 * The buffer a bulk socket decrypts into and lends each read from (its
 * `onread` option). Node delivers at most one 16 KiB TLS record per read,
 * so more only helps if that changes.
 */
export const DEFAULT_BULK_READ_BUFFER_BYTES = 64 * 1024
