/**
 * Addresses of members this node has known, kept in `<data>/members.json`, so
 * a restart can rejoin through any of them: the seed is not a single point
 * of failure.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { logger } from '@libp2p/logger'
import { MAX_ADDR_LENGTH, MAX_ADDRS } from '@weft/protocol'
import { KNOWN_PEERS_FILE, MAX_KNOWN_PEERS } from './constants.js'
import { writeFileAtomic } from './files.js'

const log = logger('weft:node:known-peers')

export interface KnownPeer {
  peerId: string
  addrs: string[]
}

function isKnownPeer (v: unknown): v is KnownPeer {
  if (typeof v !== 'object' || v === null) return false
  const o = v as Record<string, unknown>
  return typeof o.peerId === 'string' && o.peerId.length <= 128 &&
    Array.isArray(o.addrs) && o.addrs.length <= MAX_ADDRS &&
    o.addrs.every(a => typeof a === 'string' && a.length <= MAX_ADDR_LENGTH)
}

export async function loadKnownPeers (dataDir: string): Promise<KnownPeer[]> {
  const file = path.join(dataDir, KNOWN_PEERS_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  try {
    const parsed = JSON.parse(text) as { peers?: unknown }
    const peers = Array.isArray(parsed.peers) ? parsed.peers : []
    return peers.filter(isKnownPeer).slice(0, MAX_KNOWN_PEERS)
  } catch (err) {
    // a hint only: a corrupt file costs the restart its shortcut, not its start
    log.error('ignoring unreadable %s - %e', file, err)
    return []
  }
}

export async function saveKnownPeers (dataDir: string, peers: KnownPeer[]): Promise<void> {
  const body = JSON.stringify({ version: 1, peers: peers.slice(0, MAX_KNOWN_PEERS) }) + '\n'
  await writeFileAtomic(path.join(dataDir, KNOWN_PEERS_FILE), body)
}
