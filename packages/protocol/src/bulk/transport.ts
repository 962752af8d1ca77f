import { parseBulkAddr } from './addr.js'
import { connectBulk } from './connect.js'
import { BulkUnavailableError } from './errors.js'
import { createBulkIdentity } from './tls.js'
import type { BulkAddress } from './addr.js'
import type { BulkConnectInit } from './connect.js'
import type { BulkIdentity } from './tls.js'
import type { ChunkTransport } from '../chunk/client.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export interface BulkTransportInit extends Pick<BulkConnectInit, 'timeout' | 'localAddress' | 'readHighWaterMark' | 'writeHighWaterMark'> {
  /** This peer's libp2p key: the TLS certificate is bound to it */
  privateKey: PrivateKey
  /**
   * The peer's bulk address (its node record's `bulkAddr`, either text form
   * of parseBulkAddr), or undefined / '' when it has none.
   */
  resolve(peer: PeerId): BulkAddress | string | undefined
}

/**
 * Open chunk sessions over the bulk channel (TLS 1.3, see connectBulk).
 * Rejects with BulkUnavailableError when `resolve` knows no bulk address for
 * the peer; combine with `fallbackTransport` to use libp2p then.
 */
export function bulkTransport (init: BulkTransportInit): ChunkTransport {
  let identity: Promise<BulkIdentity> | undefined
  const getIdentity = async (): Promise<BulkIdentity> => {
    identity ??= createBulkIdentity(init.privateKey)
    try {
      return await identity
    } catch (err) {
      // let the next connect try again
      identity = undefined
      throw err
    }
  }

  return async (peer, options = {}) => {
    const found = init.resolve(peer)
    if (found == null || found === '') {
      throw new BulkUnavailableError(`${peer.toString()} announces no bulk address`)
    }
    let address: BulkAddress
    try {
      address = typeof found === 'string' ? parseBulkAddr(found) : found
    } catch (err) {
      throw new BulkUnavailableError(`${peer.toString()} announces an unusable bulk address: ${(err as Error).message}`)
    }
    const { duplex } = await connectBulk({
      address,
      expectedPeer: peer,
      identity: await getIdentity(),
      timeout: init.timeout,
      localAddress: init.localAddress,
      readHighWaterMark: init.readHighWaterMark,
      writeHighWaterMark: init.writeHighWaterMark,
      signal: options.signal
    })
    return duplex
  }
}
