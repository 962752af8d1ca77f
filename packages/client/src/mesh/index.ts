/**
 * The client's view of the mesh: `connectMesh()` joins through any seed and
 * keeps a placement-ready ClusterMap fresh (sync, gossip heartbeats,
 * periodic re-syncs), with a chunk client and a dialer for other protocols
 * over the same connection.
 *
 * @example
 * ```ts
 * const mesh = await connectMesh({ seeds: ['/ip4/10.0.0.5/tcp/4001'], meshKey: await readFile('mesh.key') })
 * mesh.onChange(map => { console.log('map version', map.version) })
 * const { nodes } = mesh.placement().replicaSet(partitionOfRef('photos', 'cat.jpg'), policy)
 * await mesh.close()
 * ```
 */
export { connectMesh } from './connect.js'
export type { ConnectMeshInit } from './connect.js'
export { MeshConnection } from './connection.js'
export type { MeshEvents, MeshStatus, MeshTimings } from './connection.js'
export type { MeshMember } from './member-view.js'
export type { ClientServices } from './host.js'
export { MeshClosedError, NoSeedReachableError } from './errors.js'
export * from './constants.js'
