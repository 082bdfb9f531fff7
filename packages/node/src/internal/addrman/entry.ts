/** One known address and what the address manager remembers about it. */
import type { PeerAddress } from "./peerAddress.js"

export interface AddressEntry {
  readonly address: PeerAddress
  /** Who told us about it (itself when it came from DNS or was added directly). */
  readonly source: PeerAddress
  /** Last time the address was seen or advertised (seconds); 0 = unknown (DNS, introducer). */
  timestamp: number
  lastTry: number
  lastCountAttempt: number
  lastSuccess: number
  attempts: number
  /** Number of new-table slots that reference it (0 when in the tried table). */
  refCount: number
  isTried: boolean
  /** Index into the manager's random-order array. */
  randomPos: number
}

export const newEntry = (address: PeerAddress, timestamp: number, source: PeerAddress | undefined): AddressEntry => ({
  address: { host: address.host, port: address.port },
  source: source ?? { host: address.host, port: address.port },
  timestamp,
  lastTry: 0,
  lastCountAttempt: 0,
  lastSuccess: 0,
  attempts: 0,
  refCount: 0,
  isTried: false,
  randomPos: -1
})
