/**
 * The `PeerManager` service: every connection of the node. It listens (the transport's gate refuses banned addresses with
 * 403 and answers 503 when full), dials, runs the Chia handshake both ways, applies the reference's inbound caps per node
 * type, replaces a connection when the same node id connects again, drops connections to ourselves, keeps configured
 * peers connected with backoff, and applies every peer's ban verdict through `BanList`. Each connection is a supervised
 * fiber; nothing is left running once the service's scope closes.
 *
 * What a node does with a connection comes from hooks (`addHook`): message handlers in place before the first message is
 * dispatched, and an `onConnect` effect scoped to the connection. `FullNodeApi`, `Discovery` and `Introducer` are hooks.
 * Nothing listens or dials before `start`.
 */
import type { Duration, Effect, Option, Queue, Scope, Stream } from "effect"
import { Context, Data, Layer } from "effect"
import type { MessageName } from "@peerwire/codec/chia/Catalogue"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import type { HandlerContext, HandlerReply } from "@peerwire/peer/Peer"
import type { ChiaMessages, ChiaReplies } from "@peerwire/peer/chia/ChiaFamily"
import type { ChiaPeer } from "@peerwire/peer/chia/ChiaPeer"
import type { PeerConfig } from "@peerwire/peer/PeerConfig"
import type { PeerError } from "@peerwire/peer/PeerError"
import type { Address, TlsSettings, Transport, TransportError } from "@peerwire/transport"
import type { BanList } from "./BanList.js"
import { makePeerManager } from "./internal/peerManager/manager.js"
import type { ConnectionInfo, ConnectionPurpose, NodeEvent } from "./NodeEvents.js"

export type { ConnectionInfo, ConnectionPurpose, NodeEvent }

/** A live, registered connection: the Chia peer and what we know about it. */
export interface ConnectedPeer extends ConnectionInfo {
  readonly peer: ChiaPeer
}

/** Handles one inbound message of type `N` on a registered connection; a returned reply is sent with the request id. */
export type NodeHandler<N extends MessageName> = (
  payload: ChiaMessages[N],
  peer: ConnectedPeer,
  context: HandlerContext
) => Effect.Effect<HandlerReply<ChiaMessages, ChiaReplies, N> | void, PeerError>

export type NodeHandlers = { readonly [N in MessageName]?: NodeHandler<N> }

/** What a part of the node does with every connection. Later hooks override earlier ones' handlers of the same type. */
export interface PeerHook {
  readonly name: string
  /** Handlers installed on every new peer before its first message is dispatched. */
  readonly handlers?: NodeHandlers | undefined
  /**
   * Runs once the connection is registered (not for feelers). Its Scope is the connection's lifetime, so fibers it forks
   * end with the connection. It runs in its own fiber: a slow hook delays nobody.
   */
  readonly onConnect?: ((peer: ConnectedPeer) => Effect.Effect<void, never, Scope.Scope>) | undefined
}

export class ConnectError extends Data.TaggedError("ConnectError")<{
  readonly reason:
    /** The address is banned; nothing was dialed. */
    | "Banned"
    /** The address is our own (own node id, or a local address with our port). */
    | "Self"
    /** Already connected to (or dialing) that host and server port. */
    | "Duplicate"
    /** Dial, TLS or handshake failed; `cause` is the `PeerError`. */
    | "Failed"
    /** The peer manager is not running (not started or stopped). */
    | "NotRunning"
  readonly address: Address
  readonly message: string
  readonly cause?: unknown
}> {}

export interface PeerManagerShape {
  /** Our node id (hex SHA-256 of our certificate; `plain:host:port` without TLS, known after `start`). */
  readonly nodeId: Effect.Effect<string>
  /** Starts listening (when configured) and the configured-peer loops. Idempotent. Yields the bound address. */
  readonly start: Effect.Effect<Option.Option<Address>, TransportError>
  readonly listenAddress: Effect.Effect<Option.Option<Address>>
  readonly connections: Effect.Effect<ReadonlyArray<ConnectionInfo>>
  readonly peers: Effect.Effect<ReadonlyArray<ConnectedPeer>>
  /**
   * Dials, handshakes and registers a connection that lives until it closes or the manager stops (not the caller's
   * scope). Feelers are closed right after the handshake.
   */
  readonly connect: (address: Address, purpose?: ConnectionPurpose) => Effect.Effect<ConnectedPeer, ConnectError>
  /** Dials and handshakes, then closes at once without registering (the introducer's vetting). */
  readonly probe: (address: Address) => Effect.Effect<boolean>
  /** True when a dial to this host and port is in flight or a connection to it (by server port) is open. */
  readonly isConnectedTo: (address: Address) => Effect.Effect<boolean>
  /** Closes the connection to a node id. */
  readonly disconnect: (nodeId: string) => Effect.Effect<boolean>
  /** Registers a hook for connections made from now on; removed when the Scope closes. */
  readonly addHook: (hook: PeerHook) => Effect.Effect<void, never, Scope.Scope>
  /** Connection events; each subscriber gets those published after it subscribed. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<NodeEvent>, never, Scope.Scope>
  readonly events: Stream.Stream<NodeEvent>
  /** The options in effect (defaults filled in). */
  readonly settings: PeerManagerSettings
}

export class PeerManager extends Context.Tag("@peerwire/node/PeerManager")<PeerManager, PeerManagerShape>() {}

/** The reference's `target_peer_count − target_outbound_peer_count` = 40 − 8. */
export const DEFAULT_MAX_INBOUND_FULL_NODES = 32
/** `max_inbound_wallet`. */
export const DEFAULT_MAX_INBOUND_WALLETS = 20
/** `max_inbound_farmer`. */
export const DEFAULT_MAX_INBOUND_FARMERS = 10
/** The reference stops accepting at 32 + 100 server-side connections (`global_max_concurrent_connections`). */
export const DEFAULT_MAX_INBOUND_CONNECTIONS = 132
/** `peer_connect_timeout`: time to open a connection (TCP, TLS, upgrade). */
export const DEFAULT_CONNECT_TIMEOUT = "30 seconds" as const
/** First retry of a configured peer (`reconnect_retry_seconds`), doubled after each failure … */
export const DEFAULT_RECONNECT_BASE = "3 seconds" as const
/** … up to this. */
export const DEFAULT_RECONNECT_MAX = "120 seconds" as const
/** Buffer of each event subscriber (oldest events are dropped for a subscriber that falls behind). */
export const DEFAULT_EVENT_BUFFER = 4096
/** Time allowed for the introducer's vetting dial and handshake. */
export const DEFAULT_PROBE_TIMEOUT = "10 seconds" as const

export interface PeerManagerOptions {
  /** Network name sent and required in handshakes. Default "mainnet". */
  readonly networkId?: string | undefined
  /** Our node type. Default FULL_NODE (inbound caps apply only to full nodes, like the reference). */
  readonly nodeType?: NodeType | undefined
  /** Where to listen; undefined = no listener (a crawler, a wallet). */
  readonly listen?: Address | undefined
  /** The port announced in handshakes; default the bound listen port, or 0 without a listener. */
  readonly advertisedPort?: number | undefined
  /** Mutual TLS; undefined = plain transport (tests, local tools). Node ids need TLS. */
  readonly tls?: TlsSettings | undefined
  readonly softwareVersion?: string | undefined
  /** Advertise RATE_LIMITS_V3. */
  readonly rateLimitsV3?: boolean | undefined
  readonly maxInboundFullNodes?: number | undefined
  readonly maxInboundWallets?: number | undefined
  readonly maxInboundFarmers?: number | undefined
  /** Inbound connections (pending handshakes included) above which the gate answers 503. */
  readonly maxInboundConnections?: number | undefined
  /** Peers to connect to at start and keep connected. */
  readonly peers?: ReadonlyArray<Address> | undefined
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Largest frame accepted; default the transport's (50 MiB, the reference's `max_message_size`). */
  readonly maxFrameSize?: number | undefined
  /** Handshake deadlines; default the peer layer's (30 s listener, 120 s dialer). */
  readonly handshakeTimeout?: Duration.DurationInput | undefined
  readonly reconnectBase?: Duration.DurationInput | undefined
  readonly reconnectMax?: Duration.DurationInput | undefined
  /** Overrides of the peer defaults (timeouts, heartbeat, unhandled-message policy). */
  readonly peerConfig?: Partial<PeerConfig> | undefined
  readonly eventBuffer?: number | undefined
  readonly probeTimeout?: Duration.DurationInput | undefined
}

/** Options with every default filled in. */
export interface PeerManagerSettings {
  readonly networkId: string
  readonly nodeType: NodeType
  readonly listen: Address | undefined
  readonly advertisedPort: number | undefined
  readonly tls: TlsSettings | undefined
  readonly softwareVersion: string | undefined
  readonly rateLimitsV3: boolean
  readonly maxInboundFullNodes: number
  readonly maxInboundWallets: number
  readonly maxInboundFarmers: number
  readonly maxInboundConnections: number
  readonly peers: ReadonlyArray<Address>
  readonly connectTimeout: Duration.DurationInput
  readonly maxFrameSize: number | undefined
  readonly handshakeTimeout: Duration.DurationInput | undefined
  readonly reconnectBase: Duration.DurationInput
  readonly reconnectMax: Duration.DurationInput
  readonly peerConfig: Partial<PeerConfig>
  readonly eventBuffer: number
  readonly probeTimeout: Duration.DurationInput
}

export const settingsOf = (options: PeerManagerOptions = {}): PeerManagerSettings => ({
  networkId: options.networkId ?? "mainnet",
  nodeType: options.nodeType ?? NodeType.FULL_NODE,
  listen: options.listen,
  advertisedPort: options.advertisedPort,
  tls: options.tls,
  softwareVersion: options.softwareVersion,
  rateLimitsV3: options.rateLimitsV3 ?? false,
  maxInboundFullNodes: options.maxInboundFullNodes ?? DEFAULT_MAX_INBOUND_FULL_NODES,
  maxInboundWallets: options.maxInboundWallets ?? DEFAULT_MAX_INBOUND_WALLETS,
  maxInboundFarmers: options.maxInboundFarmers ?? DEFAULT_MAX_INBOUND_FARMERS,
  maxInboundConnections: options.maxInboundConnections ?? DEFAULT_MAX_INBOUND_CONNECTIONS,
  peers: options.peers ?? [],
  connectTimeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
  maxFrameSize: options.maxFrameSize,
  handshakeTimeout: options.handshakeTimeout,
  reconnectBase: options.reconnectBase ?? DEFAULT_RECONNECT_BASE,
  reconnectMax: options.reconnectMax ?? DEFAULT_RECONNECT_MAX,
  peerConfig: options.peerConfig ?? {},
  eventBuffer: options.eventBuffer ?? DEFAULT_EVENT_BUFFER,
  probeTimeout: options.probeTimeout ?? DEFAULT_PROBE_TIMEOUT
})

/** Builds the service in the current Scope (closing it ends every connection and loop). */
export const make = (
  options: PeerManagerOptions = {}
): Effect.Effect<PeerManagerShape, never, Transport | BanList | Scope.Scope> => makePeerManager(settingsOf(options))

/** The service as a Layer. Call `start` (or use `Node.layer`, which does) once every hook is registered. */
export const layer = (options: PeerManagerOptions = {}): Layer.Layer<PeerManager, never, Transport | BanList> =>
  Layer.scoped(PeerManager, make(options))
