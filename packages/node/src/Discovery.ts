/**
 * The `Discovery` service: how a node finds and keeps its outbound peers, as the reference full node does
 * (`chia/server/node_discovery.py`): `request_peers` on every outbound full-node connection, received `respond_peers`
 * checked and added to the `AddressBook` (with relay of single fresh entries), inbound full nodes added to the book, DNS
 * seeders and the introducer when nothing is known (backoff doubling up to 512 s), and the outbound loop: weighted
 * selection, one connection per network group, recently tried addresses skipped, bounded concurrent dials, and feeler
 * connections on a Poisson schedule.
 */
import type { Duration, Scope } from "effect"
import { Context, Effect, Layer } from "effect"
import type { TimestampedPeerInfo } from "@peerwire/codec/chia/types/peers"
import type { Address } from "@peerwire/transport"
import { AddressBook } from "./AddressBook.js"
import { DnsResolver } from "./DnsResolver.js"
import { makeDiscovery } from "./internal/discovery/service.js"
import { type ConnectedPeer, PeerManager } from "./PeerManager.js"

export {
  GOSSIP_PENALTY_SECONDS,
  MAX_IP_ADDRESS_STRING_LENGTH,
  MAX_PEERS_RECEIVED_PER_REQUEST,
  MAX_TOTAL_PEERS_RECEIVED
} from "./internal/discovery/gossip.js"

export interface DiscoveryStats {
  /** Outbound (non-feeler) dials started by the loop. */
  readonly dials: number
  readonly feelers: number
  readonly introducerQueries: number
  readonly dnsQueries: number
  /** Addresses accepted from gossip, DNS and introducers. */
  readonly addressesReceived: number
  /** `respond_peers` messages ignored for exceeding the limits. */
  readonly messagesIgnored: number
}

export interface DiscoveryShape {
  /** Applies a received `respond_peers` from `source` (limits, checks, relay). Yields how many entries were usable. */
  readonly receivePeers: (peers: ReadonlyArray<TimestampedPeerInfo>, source: ConnectedPeer) => Effect.Effect<number>
  /** Asks the introducer for peers (adds them with timestamp 0). Yields how many were added. */
  readonly queryIntroducer: Effect.Effect<number>
  /** Resolves one DNS seeder and adds its addresses. */
  readonly queryDns: (name: string) => Effect.Effect<number>
  readonly stats: Effect.Effect<DiscoveryStats>
}

export class Discovery extends Context.Tag("@peerwire/node/Discovery")<Discovery, DiscoveryShape>() {}

/** `target_outbound_peer_count`. */
export const DEFAULT_TARGET_OUTBOUND = 8
/** `peer_connect_interval`: the longest pause between loop iterations. */
export const DEFAULT_PEER_CONNECT_INTERVAL = "30 seconds" as const
/** Mean of the Poisson process that schedules feelers. */
export const DEFAULT_FEELER_INTERVAL = "240 seconds" as const
/** `MAX_CONCURRENT_OUTBOUND_CONNECTIONS`. */
export const DEFAULT_MAX_CONCURRENT_DIALS = 70
/** Addresses tried more recently than this are skipped. */
export const DEFAULT_RECENT_TRY_WINDOW = "1800 seconds" as const
/** The bootstrap backoff doubles while below 300 s, so it ends at 512 s. */
export const MAX_BOOTSTRAP_BACKOFF_SECONDS = 512
/** Pause after asking the introducer. */
export const INTRODUCER_PAUSE = "5 seconds" as const
/** Wait for the introducer's answer. */
export const DEFAULT_INTRODUCER_TIMEOUT = "30 seconds" as const
/** Port given to DNS seeder results (mainnet's). */
export const DEFAULT_PORT = 8444

export interface DiscoveryOptions {
  /** Outbound full-node connections to keep. */
  readonly targetOutbound?: number | undefined
  readonly peerConnectInterval?: Duration.DurationInput | undefined
  /** Mean feeler interval; `false` disables feelers. */
  readonly feelerInterval?: Duration.DurationInput | false | undefined
  /** DNS seeders (shuffled at start); empty = none. */
  readonly dnsServers?: ReadonlyArray<string> | undefined
  /** Port for addresses from DNS seeders. */
  readonly defaultPort?: number | undefined
  readonly introducer?: Address | undefined
  readonly introducerTimeout?: Duration.DurationInput | undefined
  /**
   * One outbound connection per IPv4 /16 or IPv6 /32 (default true). Turn off for devnets where every node shares one
   * group, e.g. all on 127.0.0.1.
   */
  readonly groupRule?: boolean | undefined
  readonly maxConcurrentDials?: number | undefined
  readonly recentTryWindow?: Duration.DurationInput | undefined
  /** Run the outbound loop (default true); false only gossips (answers, learns, relays). */
  readonly dial?: boolean | undefined
  /**
   * Ask outbound full nodes for peers again at this interval (a crawler's need). Default undefined: only on connect,
   * like the reference full node.
   */
  readonly requestPeersInterval?: Duration.DurationInput | undefined
}

export interface DiscoverySettings {
  readonly targetOutbound: number
  readonly peerConnectInterval: Duration.DurationInput
  readonly feelerInterval: Duration.DurationInput | false
  readonly dnsServers: ReadonlyArray<string>
  readonly defaultPort: number
  readonly introducer: Address | undefined
  readonly introducerTimeout: Duration.DurationInput
  readonly groupRule: boolean
  readonly maxConcurrentDials: number
  readonly recentTryWindow: Duration.DurationInput
  readonly dial: boolean
  readonly requestPeersInterval: Duration.DurationInput | undefined
}

export const settingsOf = (options: DiscoveryOptions = {}): DiscoverySettings => ({
  targetOutbound: options.targetOutbound ?? DEFAULT_TARGET_OUTBOUND,
  peerConnectInterval: options.peerConnectInterval ?? DEFAULT_PEER_CONNECT_INTERVAL,
  feelerInterval: options.feelerInterval ?? DEFAULT_FEELER_INTERVAL,
  dnsServers: options.dnsServers ?? [],
  defaultPort: options.defaultPort ?? DEFAULT_PORT,
  introducer: options.introducer,
  introducerTimeout: options.introducerTimeout ?? DEFAULT_INTRODUCER_TIMEOUT,
  groupRule: options.groupRule ?? true,
  maxConcurrentDials: options.maxConcurrentDials ?? DEFAULT_MAX_CONCURRENT_DIALS,
  recentTryWindow: options.recentTryWindow ?? DEFAULT_RECENT_TRY_WINDOW,
  dial: options.dial ?? true,
  requestPeersInterval: options.requestPeersInterval
})

/**
 * Builds the service in the current Scope: registers its `PeerManager` hook and starts the outbound loop (which does
 * nothing useful until the manager is started).
 */
export const make = (
  options: DiscoveryOptions = {}
): Effect.Effect<DiscoveryShape, never, PeerManager | AddressBook | DnsResolver | Scope.Scope> =>
  makeDiscovery(settingsOf(options))

export const layer = (
  options: DiscoveryOptions = {}
): Layer.Layer<Discovery, never, PeerManager | AddressBook | DnsResolver> => Layer.scoped(Discovery, make(options))
