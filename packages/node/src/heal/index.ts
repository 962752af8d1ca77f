/**
 * Self-healing: the background reconciler (rebalance on join, repair after a
 * loss, drain) over the chunks and refs a node holds. See DESIGN.md section
 * 10 and docs/ARCHITECTURE.md.
 */
export { Reconciler } from './reconciler.js'
export type { HealComponents, HealEvents, HealInit } from './reconciler.js'
export { settled as passSettled } from './progress.js'
export type { CopyKind, HealStatus, HealTotals, PassReport } from './progress.js'
export { targetMap } from './target-map.js'
export { DrainFlag } from './drain-flag.js'
export { Scrubber } from './scrub.js'
export type { ScrubInit, ScrubStats } from './scrub.js'
export { scrubSources } from './owners.js'
export { DEFAULT_HEAL_YIELD_ABOVE_REQUESTS } from './constants.js'
