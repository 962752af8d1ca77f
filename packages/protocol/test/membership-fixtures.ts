import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { NodeRecord } from '../src/membership/record.js'
import type { PrivateKey } from '@libp2p/interface'

export const MESH_A = 'a'.repeat(32)
export const MESH_B = 'b'.repeat(32)

export interface TestPeer {
  key: PrivateKey
  peerId: string
}

export async function testPeer (): Promise<TestPeer> {
  const key = await generateKeyPair('Ed25519')
  return { key, peerId: peerIdFromPrivateKey(key).toString() }
}

export function testRecord (peerId: string, patch: Partial<NodeRecord> = {}): NodeRecord {
  return {
    peerId,
    seq: 1,
    meshId: MESH_A,
    zone: 'eu/dc1/r1/h1',
    addrs: ['/ip4/127.0.0.1/tcp/4001'],
    bulkAddr: '',
    capacityBytes: 1e12,
    usedBytes: 0,
    weight: 1e12,
    state: 'up',
    load: { inFlight: 0, mbps: 0 },
    full: false,
    version: '0.1.0',
    startedAt: 1_700_000_000_000,
    ...patch
  }
}
