/**
 * Replicated chunk writes, the writer's side: `planChunkWrite` turns
 * placement's answer into a chain and hand-off order, `writeChunk` sends the
 * chunk down the chain and hands off around failed replicas until r hold a
 * verified copy, or throws InsufficientReplicasError. Node and client both
 * use it; it needs only a ChunkClient.
 *
 * @example
 * ```ts
 * import { planChunkWrite, writeChunk } from '@weft/protocol'
 *
 * const plan = planChunkWrite({ replicaSet, fallbacks, replicas: 3, exclude: peer => isFull(peer) })
 * const { holders } = await writeChunk({ client, ...plan, replicas: 3, cid, bytes })
 * ```
 */
export * from './constants.js'
export * from './errors.js'
export { planChunkWrite } from './plan.js'
export type { WritePlan, WritePlanInput } from './plan.js'
export { writeChunk } from './write.js'
export type { WriteAttempt, WriteChunkOptions, WriteChunkResult } from './write.js'
