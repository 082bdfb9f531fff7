/**
 * `IntroducerPeers` (`chia/server/introducer_peers.py`): full nodes that connected to the introducer, with when they were
 * first seen and how their vetting went.
 */
import type { PeerAddress } from "../../AddressBook.js"

export interface VettedPeer {
  readonly host: string
  readonly port: number
  /** Seconds; not refreshed when the node connects again (a reference quirk kept on purpose). */
  readonly timeAdded: number
  /** > 0: reachable that many times in a row; < 0: unreachable that many times. */
  vetted: number
  lastAttempt: number
  lastSuccess: number
}

/** Removed after this many failed vettings in a row. */
export const MAX_VETTING_FAILURES = 6

const key = (host: string, port: number) => `${host}|${port}`

export class IntroducerPeers {
  private readonly peers = new Map<string, VettedPeer>()

  get size(): number {
    return this.peers.size
  }

  /** Registers a node (port 0 is refused); an existing entry keeps its `timeAdded`. */
  add(address: PeerAddress, now: number): boolean {
    if (address.port === 0) return false
    const k = key(address.host, address.port)
    if (this.peers.has(k)) return false
    this.peers.set(k, { host: address.host, port: address.port, timeAdded: now, vetted: 0, lastAttempt: 0, lastSuccess: 0 })
    return true
  }

  all(): ReadonlyArray<VettedPeer> {
    return Array.from(this.peers.values())
  }

  recordVetting(peer: VettedPeer, ok: boolean, now: number): void {
    peer.lastAttempt = now
    if (ok) {
      peer.vetted = Math.max(peer.vetted + 1, 1)
      peer.lastSuccess = now
    } else {
      peer.vetted = Math.min(peer.vetted - 1, -1)
      if (peer.vetted < -MAX_VETTING_FAILURES) this.peers.delete(key(peer.host, peer.port))
    }
  }
}
