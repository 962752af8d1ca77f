/**
 * Peers a hand-off round may put in one chain. The chunk protocol allows a
 * forward list of MAX_FORWARD (16); a longer chain only adds latency and
 * places for it to break.
 */
export const MAX_CHAIN_LENGTH = 8

/**
 * With `probe: 'auto'` (the default) a write asks its targets HAS first when
 * the chunk is at least this big. Below it, one round trip (~0.5-1 ms) is a
 * large share of just sending the bytes; above it the round trip is a few
 * percent of a put and overlaps with other chunks in flight, while a re-write
 * of a stored chunk sends nothing instead of most of it (a chain put of a
 * chunk every replica holds is answered early, but a 4 MiB body is by then
 * mostly in the transport's windows). See the `chunks` bench.
 */
export const DEFAULT_PROBE_MIN_BYTES = 1024 * 1024
