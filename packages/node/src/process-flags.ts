/**
 * The V8 flags a node process runs with: the `weft` command's first line
 * passes them to node (so `weft node start` has them), `weft up` puts them
 * on its children's command lines, and the bench on its node workers'.
 *
 * A node moves data through large short-lived Buffers. V8 starts with a
 * small heap and, as those Buffers' external memory grows, runs a full GC
 * every few tens of MB; starting the old generation at 128 MB cuts full GCs
 * about fivefold. On the development machine it halved the node CPU per GB
 * served by gets (about 2.0 -> 1.1 s/GB, `npm run bench -- throughput`) and
 * left the idle and loaded RSS within their budgets (docs/PERFORMANCE.md).
 * It is a starting size, not a limit: the heap still grows and shrinks.
 */
export const NODE_PROCESS_V8_FLAGS: readonly string[] = ['--initial-heap-size=128']
