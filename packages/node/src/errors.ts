import { WeftError } from '@weft/protocol'

/** The data dir's peer.key exists but is not a usable Ed25519 libp2p key. */
export class InvalidPeerKeyError extends WeftError {
  static override readonly code: string = 'ERR_INVALID_PEER_KEY'
}

/** A persisted state file (seq, members.json) is corrupt. */
export class CorruptStateError extends WeftError {
  static override readonly code: string = 'ERR_CORRUPT_STATE'
}

/** A mesh key was given but libp2p ended up without a connection protector. */
export class MeshProtectionError extends WeftError {
  static override readonly code: string = 'ERR_MESH_NOT_PROTECTED'
}

/** An operation needs a started node. */
export class NodeNotStartedError extends WeftError {
  static override readonly code: string = 'ERR_NODE_NOT_STARTED'
}
