import type { PeerId } from '@libp2p/interface'
import type { RequestLimiter } from '@weft/protocol'

interface PeerState {
  sessions: number
  requests: number
  limiter: RequestLimiter
}

/**
 * Sessions and running requests per peer over all its bulk connections, with
 * the limits the libp2p chunk service applies per peer. The state of a peer
 * goes when its last session and request are gone.
 */
export class PeerLimits {
  private readonly peers = new Map<string, PeerState>()

  constructor (private readonly maxSessions: number, private readonly maxRequests: number) {}

  get size (): number {
    return this.peers.size
  }

  /** Take a session slot; undefined when the peer has all of its sessions open. */
  openSession (peer: PeerId): { limiter: RequestLimiter, release: () => void } | undefined {
    const key = peer.toString()
    const state = this.peers.get(key) ?? this.create(key)
    if (state.sessions >= this.maxSessions) {
      this.drop(key, state)
      return undefined
    }
    state.sessions++
    let released = false
    return {
      limiter: state.limiter,
      release: () => {
        if (released) {
          return
        }
        released = true
        state.sessions--
        this.drop(key, state)
      }
    }
  }

  private create (key: string): PeerState {
    const state: PeerState = {
      sessions: 0,
      requests: 0,
      limiter: {
        tryAcquire: () => {
          if (state.requests >= this.maxRequests) {
            return false
          }
          state.requests++
          return true
        },
        release: () => {
          state.requests--
          this.drop(key, state)
        }
      }
    }
    this.peers.set(key, state)
    return state
  }

  private drop (key: string, state: PeerState): void {
    if (state.sessions === 0 && state.requests === 0 && this.peers.get(key) === state) {
      this.peers.delete(key)
    }
  }
}
