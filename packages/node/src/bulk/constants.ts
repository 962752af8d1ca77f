/** Where the bulk server listens unless told otherwise (loopback, like the libp2p default). */
export const DEFAULT_BULK_HOST = '127.0.0.1'

/** Sockets open at once, in handshake or serving; the rest are closed at accept. */
export const DEFAULT_BULK_MAX_CONNECTIONS = 256

/**
 * Sockets still in TCP accept -> TLS -> peer check at once. Each holds a TLS
 * state and costs a certificate check: this bounds what unauthenticated
 * peers can make the node spend.
 */
export const DEFAULT_BULK_MAX_PENDING_HANDSHAKES = 64

/** Sockets from one IP address at once (in handshake or serving). */
export const DEFAULT_BULK_MAX_CONNECTIONS_PER_IP = 64

/** Sockets from one IP address in their handshake at once. */
export const DEFAULT_BULK_MAX_PENDING_PER_IP = 8

/** Time (ms) from accept until the peer is verified and greeted; then the socket is closed. */
export const DEFAULT_BULK_HANDSHAKE_TIMEOUT = 5_000

/**
 * How often (ms) open connections are checked against `isAllowed` again, so a
 * peer that left the mesh or dropped its libp2p connection stops being served.
 */
export const DEFAULT_BULK_RECHECK_INTERVAL = 10_000
