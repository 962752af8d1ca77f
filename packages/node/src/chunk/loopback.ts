import { ByteQueue } from '@weft/protocol'
import type { ByteDuplex } from '@weft/protocol'

/**
 * Two ByteDuplex ends joined in memory, each direction a bounded ByteQueue
 * (a write waits while the other side has more than `limit` bytes unread).
 * It lets a node's chunk client reach the node's own chunk service: libp2p
 * cannot dial itself, yet a node writing a chunk is often one of its replicas.
 */
export function loopbackPair (limit: number): [ByteDuplex, ByteDuplex] {
  const ab = new ByteQueue(limit)
  const ba = new ByteQueue(limit)
  return [end(ba, ab), end(ab, ba)]
}

function end (incoming: ByteQueue, outgoing: ByteQueue): ByteDuplex {
  return {
    source: incoming,
    async write (bytes: Uint8Array): Promise<void> {
      if (outgoing.isClosed) {
        throw new Error('loopback stream is closed')
      }
      // a socket copies what it is given; a writer may reuse its buffer once write() resolves
      await outgoing.push(bytes.slice())
    },
    async close (): Promise<void> {
      outgoing.end()
    },
    abort (err: Error): void {
      outgoing.fail(err)
      incoming.fail(err)
    }
  }
}
