/** The client pieces the refs tests use (mesh view, ref client, buckets), from @weft/client. */
export { connectMesh, createBuckets, createRefClient, ListIncompleteError, NoSeedReachableError, QuorumError } from '@weft/client'
export type { Buckets, ConnectMeshInit, MeshConnection, MeshMember, RefClient } from '@weft/client'
