/**
 * Starting a prepared node in the current Scope: its layer for the mode on the wss transport (with a traffic meter),
 * the local RPC, and a snapshot for the status line. Every failure to start is a `CliFailure` of one line.
 */
import { Context, Deferred, Duration, Effect, Layer, Option, Scope } from "effect"
import type { Address, TlsSettings, TransportError } from "@peerwire/transport"
import { Transport } from "@peerwire/transport"
import * as WebSocketTransport from "@peerwire/transport/WebSocketTransport"
import { AddressBook, type AddressBookError } from "../AddressBook.js"
import { BanList } from "../BanList.js"
import { CliFailure } from "../cli/input.js"
import * as DataDir from "../DataDir.js"
import { Introducer } from "../Introducer.js"
import * as Node from "../Node.js"
import * as NodeControl from "../NodeControl.js"
import { PeerManager, type PeerManagerOptions, type PeerManagerShape } from "../PeerManager.js"
import * as Rpc from "../Rpc.js"
import { hostPort } from "./hosts.js"
import { p2pTls, type Prepared } from "./prepareNode.js"
import * as StatusLine from "./statusLine.js"
import { TrafficMeter } from "./trafficMeter.js"

const fail = (message: string) => new CliFailure({ message })

const listenFailure = (error: TransportError | AddressBookError, listen: Address): CliFailure => {
  if (error._tag === "AddressBookError") return fail(error.message)
  const where = hostPort(listen.host, listen.port)
  return error.reason === "AddressInUse"
    ? fail(`P2P port ${listen.port} is in use (${where}); is another node running? choose another with --port`)
    : fail(`cannot listen on ${where}: ${error.message}`)
}

const rpcFailure = (error: Rpc.RpcServerError, host: string, port: number): CliFailure =>
  error.reason === "AddressInUse"
    ? fail(`RPC port ${port} is in use (${hostPort(host, port)}); is another node running? set rpc.port in config.yaml`)
    : fail(`cannot start the RPC on ${hostPort(host, port)}: ${error.message}`)

export interface LaunchOptions {
  /** Reported by `get_version`. */
  readonly version: string
  /** Serve the local RPC (default true). */
  readonly rpc?: boolean | undefined
  /** Peer-manager settings over those from the config (the bench raises `maxInboundConnections` past its cap). */
  readonly peerManager?: Partial<PeerManagerOptions> | undefined
}

export interface RunningNode {
  readonly manager: PeerManagerShape
  readonly listening: Address
  readonly rpc: Option.Option<Rpc.RpcServer>
  /** Completed by the RPC's `stop_node`. */
  readonly stopSignal: Deferred.Deferred<void>
  readonly traffic: TrafficMeter
  readonly snapshot: Effect.Effect<StatusLine.StatusSnapshot>
}

/** The node's layer for its mode, over a transport. */
const nodeLayer = (
  prepared: Prepared,
  tls: TlsSettings,
  extra: Partial<PeerManagerOptions>
): Layer.Layer<PeerManager | BanList, TransportError | AddressBookError, Transport> => {
  const { config, paths } = prepared
  const base = Node.optionsFromConfig(config)
  const banList = { ...base.banList, path: paths.bansFile }
  const peerManager = { ...base.peerManager, tls, ...extra }
  if (prepared.mode === "introducer") {
    return Node.introducerLayer({
      peerManager: { ...peerManager, peers: [] },
      banList,
      introducer: {
        maxPeersToSend: config.introducer.max_peers_to_send,
        recentPeerThreshold: Duration.seconds(config.introducer.recent_peer_threshold),
        dnsServers: config.discovery.enabled ? config.discovery.dns_servers : [],
        defaultPort: DataDir.DEFAULT_PORTS[config.network] ?? DataDir.DEFAULT_PORTS[DataDir.DEFAULT_NETWORK]
      }
    })
  }
  return Node.layer({ ...base, peerManager, banList, addressBook: { ...base.addressBook, path: paths.peersFile } })
}

/** Starts the node (and its RPC) in the current Scope. */
export const launch = (
  prepared: Prepared,
  options: LaunchOptions
): Effect.Effect<RunningNode, CliFailure, Scope.Scope> =>
  Effect.gen(function*() {
    const { config, paths } = prepared
    const tls = yield* p2pTls(paths)
    const traffic = new TrafficMeter()
    const transport = Layer.succeed(Transport, traffic.wrap(WebSocketTransport.make()))
    const listen = { host: config.listen_host, port: config.port }
    const context = yield* Layer.build(
      nodeLayer(prepared, tls, options.peerManager ?? {}).pipe(Layer.provide(transport))
    ).pipe(Effect.mapError((e) => listenFailure(e, listen)))
    const manager = Context.get(context, PeerManager)
    const bans = Context.get(context, BanList)
    const listening = Option.getOrElse(yield* manager.listenAddress, () => listen)
    const stopSignal = yield* Deferred.make<void>()

    let rpc = Option.none<Rpc.RpcServer>()
    if (options.rpc !== false) {
      const control = yield* NodeControl.make({
        networkName: config.network,
        version: options.version,
        stopSignal,
        traffic
      }).pipe(Effect.provide(context))
      const rpcTls = yield* Rpc.tlsFromDataDir(paths).pipe(Effect.mapError((e) => fail(e.message)))
      const server = yield* Rpc.serve({
        host: config.rpc.host,
        port: config.rpc.port,
        tls: rpcTls,
        handlers: Rpc.handlers(control)
      }).pipe(Effect.mapError((e) => rpcFailure(e, config.rpc.host, config.rpc.port)))
      rpc = Option.some(server)
    }

    const addresses: Effect.Effect<number> = Option.match(Context.getOption(context, AddressBook), {
      onSome: (book) => book.size,
      onNone: () =>
        Option.match(Context.getOption(context, Introducer), {
          onSome: (introducer) => Effect.map(introducer.peers, (peers) => peers.length),
          onNone: () => Effect.succeed(0)
        })
    })
    const snapshot = Effect.gen(function*() {
      const connections = yield* manager.connections
      const inbound = connections.filter((c) => c.direction === "inbound").length
      return {
        inbound,
        outbound: connections.length - inbound,
        bans: (yield* bans.list).length,
        addresses: yield* addresses,
        framesIn: traffic.totals.framesIn,
        framesOut: traffic.totals.framesOut
      }
    })
    return { manager, listening, rpc, stopSignal, traffic, snapshot }
  })
