import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signRecord } from '@weft/protocol'
import type { PrivateKey } from '@libp2p/interface'
import type { NodeRecord, SignedRecord } from '@weft/protocol'

export const MESH = '0123456789abcdef0123456789abcdef'

export interface Peer {
  key: PrivateKey
  id: string
  sign: (patch?: Partial<NodeRecord>) => Promise<SignedRecord>
}

export async function peer (): Promise<Peer> {
  const key = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  return {
    key,
    id,
    sign: async (patch = {}) => signRecord({
      peerId: id, seq: 1, meshId: MESH, zone: 'r/d', addrs: [], bulkAddr: '', capacityBytes: 100, usedBytes: 0,
      weight: 100, state: 'up', load: { inFlight: 0, mbps: 0 }, full: false, version: 't', startedAt: 0, ...patch
    }, key)
  }
}

/** A hand-driven monotonic clock. */
export class Clock {
  t = 1000
  now = (): number => this.t
  advance (ms: number): void { this.t += ms }
}
