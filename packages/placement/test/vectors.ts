/**
 * Builds the published test vectors (test-vectors/placement-v1.json): fixed
 * inputs and what this implementation answers for them. Another
 * implementation proves compatibility by reproducing every answer.
 * Regenerate (only when the algorithm deliberately changes, with a new file
 * version) by `node packages/placement/dist/test/generate-vectors.js`.
 */
import { createHash } from 'node:crypto'
import {
  PARTITION_BITS, PARTITION_COUNT, PlacementError, createPlacement, partitionOfDigest, partitionOfRef, readerOrder, rendezvousKey
} from '../src/index.js'
import { prng, randomMap } from './helpers.js'
import type { ClusterMap, ClusterNode, PlacementPolicy, PeerStats, Reader } from '../src/index.js'

export interface SetCase { policy: PlacementPolicy, nodes?: string[], degraded?: boolean, fallbacks?: string[], error?: string }
export interface PartitionCase { partition: number, ranking: string[], sets: SetCase[] }
export interface MapCase { name: string, map: ClusterMap, policies: PlacementPolicy[], partitions: PartitionCase[] }
export interface ReaderCase { replicas: ClusterNode[], reader: Reader, stats: Record<string, PeerStats>, order: string[] }

export interface Vectors {
  format: string
  partitionBits: number
  notes: string
  digests: Array<{ digest: string, partition: number }>
  refs: Array<{ bucket: string, key: string, partition: number }>
  keys: Array<{ peerId: string, weight: number, partition: number, hash: number, lnU: number, key: number }>
  maps: MapCase[]
  readers: ReaderCase[]
}

const up = (peerId: string, weight: number, zone: string, state: ClusterNode['state'] = 'up'): ClusterNode => ({ peerId, weight, zone, state })

function mapCases (): Array<Omit<MapCase, 'partitions'>> {
  const rnd = prng(2024)
  return [
    {
      name: 'three zones, mixed weights and states',
      map: {
        version: 7,
        nodes: [
          up('12D3KooWA1', 1, 'eu/dc1/r1/h1'), up('12D3KooWA2', 2, 'eu/dc1/r1/h2'), up('12D3KooWA3', 3, 'eu/dc1/r2/h3'),
          up('12D3KooWB1', 4, 'eu/dc2/r1/h1'), up('12D3KooWB2', 1, 'eu/dc2/r2/h2', 'draining'), up('12D3KooWB3', 2, 'eu/dc2/r2/h3'),
          up('12D3KooWC1', 3, 'us/dc1/r1/h1'), up('12D3KooWC2', 1.5, 'us/dc1/r1/h2', 'down'), up('12D3KooWC3', 2.5, 'us/dc1/r3/h3', 'out')
        ]
      },
      policies: [
        { replicas: 3, spread: 'zone' }, { replicas: 3, spread: 'host' }, { replicas: 2, spread: 'rack', allowedZones: ['eu/dc1'] },
        { replicas: 3, spread: 'zone', allowedZones: ['eu/'] }, { replicas: 4, spread: 'zone', allowedZones: ['us'] }, { replicas: 1, spread: 'host' }
      ]
    },
    {
      name: 'two zones only: zone spread of 3 is degraded',
      map: { version: 1, nodes: [up('n1', 1, 'a/x/r/h1'), up('n2', 1, 'a/x/r/h2'), up('n3', 2, 'b/y/r/h1'), up('n4', 1, 'b/y/r/h2'), up('n5', 1, 'b/y/r/h3')] },
      policies: [{ replicas: 3, spread: 'zone' }, { replicas: 5, spread: 'zone' }, { replicas: 6, spread: 'host' }, { replicas: 2, spread: 'zone' }]
    },
    {
      name: 'short and empty zone paths',
      map: { version: 3, nodes: [up('p', 1, ''), up('q', 1, 'eu'), up('r', 1, 'eu/dc1/'), up('s', 1, 'eu/dc1'), up('t', 2, 'eu/dc1/r1')] },
      policies: [{ replicas: 3, spread: 'host' }, { replicas: 2, spread: 'zone', allowedZones: ['eu'] }, { replicas: 3, spread: 'rack' }]
    },
    {
      name: 'random map with byte-capacity weights',
      map: randomMap(rnd, 24, 'v'),
      policies: [{ replicas: 3, spread: 'host' }, { replicas: 3, spread: 'zone' }, { replicas: 2, spread: 'rack', allowedZones: ['eu', 'ap/dc2'] }]
    }
  ]
}

export function buildVectors (): Vectors {
  const rnd = prng(77)
  const digests = [new Uint8Array(32), new Uint8Array(32).fill(0xff), ...Array.from({ length: 6 }, (_, i) => createHash('sha256').update(`chunk ${i}`).digest())]
  const refs: Array<[string, string]> = [['photos', 'cat.jpg'], ['ab', 'c'], ['a', 'bc'], ['', ''], ['datasets', 'imagenet/train/00001.tar'], ['b', '\u00fc\u6f22']]
  const keyInputs: Array<[string, number, number]> = [
    ['12D3KooWA1', 1, 0], ['12D3KooWA1', 1, 1], ['12D3KooWA1', 1, PARTITION_COUNT - 1], ['12D3KooWA1', 3, 12345],
    ['12D3KooWB2', 4e12, 777], ['peer', 0.25, 2 ** 21], ['\u00fc', 2.5, 99]
  ]
  for (let i = 0; i < 9; i++) keyInputs.push([`12D3KooWk${i}`, 1 + Math.floor(rnd() * 4), Math.floor(rnd() * PARTITION_COUNT)])
  const partitions = [0, 1, 2, 12345, PARTITION_COUNT - 1, ...Array.from({ length: 5 }, () => Math.floor(rnd() * PARTITION_COUNT))]

  const maps: MapCase[] = mapCases().map(m => {
    const placement = createPlacement(m.map)
    return {
      ...m,
      partitions: partitions.map(partition => ({
        partition,
        ranking: placement.ranking(partition).map(n => n.peerId),
        sets: m.policies.map(policy => {
          try {
            const set = placement.replicaSet(partition, policy)
            return { policy, nodes: set.nodes.map(n => n.peerId), degraded: set.degraded, fallbacks: placement.fallbacks(partition, policy).map(n => n.peerId) }
          } catch (err) {
            if (err instanceof PlacementError) return { policy, error: err.code }
            throw err
          }
        })
      }))
    }
  })

  const replicas = [up('r1', 1, 'us/dc1/r1/h1'), up('r2', 1, 'eu/dc1/r2/h2'), up('r3', 1, 'eu/dc1/r1/h1'), up('r4', 1, 'eu/dc2/r1/h1')]
  const readerInputs: Array<[Reader, Record<string, PeerStats>]> = [
    [{ peerId: 'r4', zone: 'eu/dc2/r1/h1' }, {}],
    [{ zone: 'eu/dc1/r1/h1' }, { r1: { latencyMs: 1 } }],
    [{ zone: 'eu/dc1/r7/h7' }, { r2: { latencyMs: 5, inFlight: 3 }, r3: { latencyMs: 5, inFlight: 1 } }],
    [{}, { r1: { latencyMs: 3 }, r4: { latencyMs: 2, inFlight: 9 } }],
    [{ zone: '' }, { r2: { inFlight: 2 } }]
  ]
  return {
    format: 'weft-placement-vectors/1',
    partitionBits: PARTITION_BITS,
    notes: 'Algorithm: packages/placement/README.md. hash is the 52-bit x (u = (x + 0.5) / 2^52); lnU and key are IEEE-754 doubles ' +
      'printed in shortest round-trip form; rankings and replica sets list peer ids best first; error is the stable error code.',
    digests: digests.map(d => ({ digest: Buffer.from(d).toString('hex'), partition: partitionOfDigest(d) })),
    refs: refs.map(([bucket, key]) => ({ bucket, key, partition: partitionOfRef(bucket, key) })),
    keys: keyInputs.map(([peerId, weight, partition]) => ({ peerId, weight, partition, ...rendezvousKey(peerId, weight, partition) })),
    maps,
    readers: readerInputs.map(([reader, stats]) => ({
      replicas,
      reader,
      stats,
      order: readerOrder(replicas, reader, new Map(Object.entries(stats))).map(n => n.peerId)
    }))
  }
}
