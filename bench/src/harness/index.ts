/**
 * Pieces every benchmark scenario reuses: child-process workers, RSS
 * sampling, statistics, argument parsing, CPU profiles and the transport
 * ceilings (raw TCP, TLS 1.3, one libp2p stream).
 */
export * from './args.js'
export * from './ceilings.js'
export * from './cpu-profile.js'
export * from './machine.js'
export * from './mesh.js'
export * from './random.js'
export * from './rss.js'
export * from './same-run.js'
export * from './spawn-worker.js'
export * from './stats.js'
export * from './temp.js'
export * from './weft-runs.js'
