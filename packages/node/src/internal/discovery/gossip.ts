/**
 * Peer gossip as the reference does it (`node_discovery.py` `_add_peers_common`, `_address_relay`): limits on what one
 * source may tell us, per-entry checks, and the choice of neighbours a fresh address is relayed to.
 */
import { createHash } from "node:crypto"
import { isIP } from "node:net"
import type { TimestampedAddress } from "../../AddressBook.js"

/** A `respond_peers` with more entries is ignored whole. */
export const MAX_PEERS_RECEIVED_PER_REQUEST = 1000
/** Entries one source IP may send per `PEERS_RECEIVED_WINDOW_SECONDS`; beyond, its messages are ignored. */
export const MAX_TOTAL_PEERS_RECEIVED = 3000
export const PEERS_RECEIVED_WINDOW_SECONDS = 24 * 60 * 60
/** `MAX_IP_ADDRESS_STRING_LENGTH`. */
export const MAX_IP_ADDRESS_STRING_LENGTH = 45
/** Timestamps before this (1973) or in the future are replaced … */
export const MIN_VALID_TIMESTAMP = 100_000_000
export const FUTURE_TIMESTAMP_TOLERANCE_SECONDS = 600
/** … by now − 5 days. */
export const STALE_TIMESTAMP_AGE_SECONDS = 5 * 24 * 60 * 60
/** Gossiped addresses enter the book 2 h older than advertised. */
export const GOSSIP_PENALTY_SECONDS = 2 * 60 * 60
/** A single-entry `respond_peers` fresher than this is relayed … */
export const RELAY_FRESHNESS_SECONDS = 10 * 60
/** … to this many full-node neighbours; a newly accepted inbound full node's address to `RELAY_INBOUND_FANOUT`. */
export const RELAY_GOSSIP_FANOUT = 2
export const RELAY_INBOUND_FANOUT = 1

export interface WireAddress {
  readonly host: string
  readonly port: number
  readonly timestamp: bigint
}

/** Per-entry checks of a received address list: IP literals only, sane timestamps. */
export const sanitize = (entries: ReadonlyArray<WireAddress>, now: number): Array<TimestampedAddress> => {
  const out: Array<TimestampedAddress> = []
  for (const entry of entries) {
    if (entry.host.length > MAX_IP_ADDRESS_STRING_LENGTH || isIP(entry.host) === 0) continue
    const ts = entry.timestamp
    const valid = ts >= BigInt(MIN_VALID_TIMESTAMP) && ts <= BigInt(now + FUTURE_TIMESTAMP_TOLERANCE_SECONDS)
    out.push({ host: entry.host, port: entry.port, timestamp: valid ? Number(ts) : now - STALE_TIMESTAMP_AGE_SECONDS })
  }
  return out
}

/** Counts what each source IP sent in its current 24-h window. */
export class ReceivedCounter {
  private readonly bySource = new Map<string, { start: number; count: number }>()

  /** Adds `n` to the source's count; false when the source is now over its budget (the message is ignored). */
  admit(source: string, n: number, now: number): boolean {
    let entry = this.bySource.get(source)
    if (entry === undefined || now - entry.start >= PEERS_RECEIVED_WINDOW_SECONDS) {
      entry = { start: now, count: 0 }
      this.bySource.set(source, entry)
    }
    entry.count += n
    return entry.count <= MAX_TOTAL_PEERS_RECEIVED
  }
}

/**
 * The reference's relay order: neighbours sorted by SHA-256(secret ‖ neighbour key ‖ day), so one address goes to the
 * same neighbours all day and an attacker cannot predict which.
 */
export const relayOrder = <N extends { readonly nodeId: string }>(
  secret: Uint8Array,
  neighbours: ReadonlyArray<N>,
  nowSeconds: number
): Array<N> => {
  const day = Math.floor(nowSeconds / (24 * 60 * 60))
  const dayBytes = Uint8Array.of((day >> 16) & 0xff, (day >> 8) & 0xff, day & 0xff)
  const keyed = neighbours.map((n) => ({
    n,
    key: createHash("sha256").update(secret).update(n.nodeId).update(dayBytes).digest("hex")
  }))
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return keyed.map((k) => k.n)
}
