/**
 * A node as a Layer, composed from services a user can replace one by one: `PeerManager` (connections), `AddressBook`,
 * `BanList`, `Discovery`, `FullNodeApi` (what the node answers), `Chain` (what the answers read from) and `DnsResolver`.
 *
 * - `layer(options)` wires the defaults; pass `chain` / `dns` / … layers in the options to swap one part.
 * - `services(options)` is the same without the leaf services: provide your own `AddressBook`, `BanList`, `Chain`,
 *   `DnsResolver` with `Layer.provide`.
 * - `started` starts the `PeerManager` once every hook is registered; build custom compositions (a crawler, a
 *   gossip-only node) from the parts and end them with it.
 * - `introducerLayer(options)` is an introducer: it registers inbound full nodes, vets them and answers
 *   `request_peers_introducer`.
 */
import { Effect, Layer } from "effect"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import type { Transport, TransportError } from "@peerwire/transport"
import * as AddressBook from "./AddressBook.js"
import * as BanList from "./BanList.js"
import * as Chain from "./Chain.js"
import type { NodeConfig } from "./Config.js"
import * as Discovery from "./Discovery.js"
import * as DnsResolver from "./DnsResolver.js"
import * as FullNodeApi from "./FullNodeApi.js"
import { parseHostPort } from "./internal/hosts.js"
import * as Introducer from "./Introducer.js"
import * as PeerManager from "./PeerManager.js"

export interface NodeOptions {
  readonly peerManager?: PeerManager.PeerManagerOptions | undefined
  /** `{ dial: false }`: gossip only, no outbound loop. */
  readonly discovery?: Discovery.DiscoveryOptions | undefined
  readonly addressBook?: AddressBook.AddressBookOptions | undefined
  readonly banList?: BanList.BanListOptions | undefined
  readonly dns?: DnsResolver.DnsResolverOptions | undefined
  /** Handlers replacing or adding to the default `FullNodeApi`'s. */
  readonly api?: PeerManager.NodeHandlers | undefined
  /** Replacement layers for single parts. */
  readonly chainLayer?: Layer.Layer<Chain.Chain> | undefined
  readonly dnsLayer?: Layer.Layer<DnsResolver.DnsResolver> | undefined
  readonly addressBookLayer?: Layer.Layer<AddressBook.AddressBook, AddressBook.AddressBookError> | undefined
  readonly banListLayer?: Layer.Layer<BanList.BanList> | undefined
}

/** Starts the `PeerManager` (listen, configured peers). Put it last, after every part that registers hooks. */
export const started: Layer.Layer<never, TransportError, PeerManager.PeerManager> = Layer.effectDiscard(
  Effect.flatMap(PeerManager.PeerManager, (manager) => manager.start)
)

/** Peer manager, discovery and API over leaf services you provide; started. */
export const services = (
  options: NodeOptions = {}
): Layer.Layer<
  PeerManager.PeerManager | Discovery.Discovery | FullNodeApi.FullNodeApi,
  TransportError,
  Transport | AddressBook.AddressBook | BanList.BanList | Chain.Chain | DnsResolver.DnsResolver
> => {
  const parts = Layer.merge(FullNodeApi.layer(options.api), Discovery.layer(options.discovery)).pipe(
    Layer.provideMerge(PeerManager.layer(options.peerManager))
  )
  return started.pipe(Layer.provideMerge(parts))
}

/** The leaf services with defaults (or the replacements given in `options`). */
export const leaves = (options: NodeOptions = {}) =>
  Layer.mergeAll(
    options.addressBookLayer ?? AddressBook.layer(options.addressBook),
    options.banListLayer ?? BanList.layer(options.banList),
    options.chainLayer ?? Chain.layerEmpty,
    options.dnsLayer ?? DnsResolver.layer(options.dns)
  )

/** A full node with every default part; needs only a `Transport`. */
export const layer = (options: NodeOptions = {}) => services(options).pipe(Layer.provideMerge(leaves(options)))

export interface IntroducerNodeOptions {
  readonly peerManager?: PeerManager.PeerManagerOptions | undefined
  readonly introducer?: Introducer.IntroducerOptions | undefined
  readonly banList?: BanList.BanListOptions | undefined
  readonly dns?: DnsResolver.DnsResolverOptions | undefined
  readonly dnsLayer?: Layer.Layer<DnsResolver.DnsResolver> | undefined
  readonly banListLayer?: Layer.Layer<BanList.BanList> | undefined
}

/** An introducer node (node type INTRODUCER, no discovery of its own); needs only a `Transport`. */
export const introducerLayer = (options: IntroducerNodeOptions = {}) =>
  started.pipe(
    Layer.provideMerge(Introducer.layer(options.introducer)),
    Layer.provideMerge(PeerManager.layer({ nodeType: NodeType.INTRODUCER, ...options.peerManager })),
    Layer.provideMerge(Layer.mergeAll(
      options.banListLayer ?? BanList.layer(options.banList),
      options.dnsLayer ?? DnsResolver.layer(options.dns)
    ))
  )

/** Node options from a validated `config.yaml` (the CLI adds TLS and data-directory paths). */
export const optionsFromConfig = (config: NodeConfig): NodeOptions => {
  const hostPorts = (items: ReadonlyArray<string>) =>
    items.flatMap((item) => {
      const parsed = parseHostPort(item)
      return parsed === undefined ? [] : [parsed]
    })
  const introducer = config.discovery.introducer === null ? undefined : parseHostPort(config.discovery.introducer)
  return {
    peerManager: {
      networkId: config.network,
      listen: { host: config.listen_host, port: config.port },
      peers: hostPorts(config.peers),
      maxInboundFullNodes: config.inbound.max_full_nodes,
      maxInboundWallets: config.inbound.max_wallets,
      maxInboundFarmers: config.inbound.max_farmers,
      maxInboundConnections: config.inbound.max_connections,
      connectTimeout: `${config.timeouts.peer_connect_timeout} seconds`,
      rateLimitsV3: config.rate_limits.version === 3,
      peerConfig: {
        requestTimeout: `${config.timeouts.request_timeout} seconds`,
        idleTimeout: `${config.timeouts.idle_timeout} seconds`
      }
    },
    discovery: config.discovery.enabled
      ? {
        targetOutbound: config.discovery.target_outbound_peers,
        peerConnectInterval: `${config.discovery.peer_connect_interval} seconds`,
        feelerInterval: `${config.discovery.feeler_interval} seconds`,
        dnsServers: config.discovery.dns_servers,
        defaultPort: config.port,
        introducer
      }
      : { dial: false },
    addressBook: { allowPrivate: config.discovery.enable_private_networks },
    banList: { trustedNetworks: config.bans.trusted_networks, exemptLocalhost: config.bans.exempt_localhost }
  }
}
