/**
 * What `peerwire start` and `peerwire introducer` do: make sure the data directory exists (as `init` would), load and
 * validate `config.yaml`, apply the flags, then run the node on the wss transport with the public certificate (peers
 * must chain to the Chia CA, as the reference requires), the local RPC, connection-event logs and the status line,
 * until `stop_node` or a signal. Every failure to start is a `CliFailure` of one line.
 */
import { Console, Context, Deferred, Duration, Effect, Exit, Layer, Option, Queue, Scope } from "effect"
import type { Address, TlsSettings, TransportError } from "@peerwire/transport"
import { Certificates, Transport } from "@peerwire/transport"
import * as WebSocketTransport from "@peerwire/transport/WebSocketTransport"
import { AddressBook, type AddressBookError } from "../AddressBook.js"
import { BanList } from "../BanList.js"
import { CliFailure } from "../cli/input.js"
import * as Config from "../Config.js"
import * as DataDir from "../DataDir.js"
import { Introducer } from "../Introducer.js"
import * as Node from "../Node.js"
import * as NodeControl from "../NodeControl.js"
import type { NodeEvent } from "../NodeEvents.js"
import { PeerManager, type PeerManagerOptions, type PeerManagerShape } from "../PeerManager.js"
import * as Rpc from "../Rpc.js"
import { writeFileAtomic } from "./atomicFile.js"
import { hostPort, parseHostPort } from "./hosts.js"
import * as Logging from "./logging.js"
import * as StatusLine from "./statusLine.js"
import { TrafficMeter } from "./trafficMeter.js"

export type NodeMode = "full_node" | "introducer"

/** The introducer's ports in a data directory it creates (the reference's `introducer.port`; no reference RPC). */
export const DEFAULT_INTRODUCER_PORT = 8445
export const DEFAULT_INTRODUCER_RPC_PORT = 8556
/** Longest wait for connections to close and files to be written at shutdown. */
export const SHUTDOWN_TIMEOUT = Duration.seconds(8)

/** Flags that override `config.yaml`; undefined = keep the config's value. */
export interface ConfigOverrides {
  readonly network?: string | undefined
  readonly port?: number | undefined
  readonly rpcPort?: number | undefined
  /** Added to the config's `peers`. */
  readonly peers?: ReadonlyArray<string> | undefined
  readonly noDiscovery?: boolean | undefined
  readonly logLevel?: Logging.LogLevelName | undefined
  readonly logFormat?: Logging.LogFormat | undefined
}

export interface Prepared {
  readonly mode: NodeMode
  readonly paths: DataDir.DataDirPaths
  readonly config: Config.NodeConfig
  readonly nodeId: string
  /** Paths `ensure` created (empty when the data directory was complete). */
  readonly created: ReadonlyArray<string>
  /** Unknown config keys, one line each. */
  readonly warnings: ReadonlyArray<string>
}

const fail = (message: string) => new CliFailure({ message })

/** `renderDefault` for an introducer: its own ports, so that it can run beside a node. */
const introducerConfigText = (network: string): string =>
  Config.renderDefault({ network, port: DEFAULT_INTRODUCER_PORT }).replace(
    /^(rpc:\n(?:[ #].*\n)*?  port: )\d+$/m,
    `$1${DEFAULT_INTRODUCER_RPC_PORT}`
  )

export const applyOverrides = (
  config: Config.NodeConfig,
  overrides: ConfigOverrides
): Effect.Effect<Config.NodeConfig, CliFailure> =>
  Effect.gen(function*() {
    const extraPeers = overrides.peers ?? []
    for (const peer of extraPeers) {
      if (parseHostPort(peer) === undefined) {
        return yield* fail(`--peer "${peer}": expected HOST:PORT (IPv6 as [addr]:port)`)
      }
    }
    return {
      ...config,
      network: overrides.network ?? config.network,
      port: overrides.port ?? config.port,
      peers: [...config.peers, ...extraPeers],
      discovery: overrides.noDiscovery === true ? { ...config.discovery, enabled: false } : config.discovery,
      rpc: { ...config.rpc, port: overrides.rpcPort ?? config.rpc.port },
      logging: {
        level: overrides.logLevel ?? config.logging.level,
        format: overrides.logFormat ?? config.logging.format
      }
    }
  })

/** Creates what is missing in the data directory, loads `config.yaml` and applies the flags. */
export const prepare = (
  mode: NodeMode,
  dataDir: string,
  overrides: ConfigOverrides
): Effect.Effect<Prepared, CliFailure> =>
  Effect.gen(function*() {
    const network = overrides.network ?? DataDir.DEFAULT_NETWORK
    const report = yield* DataDir.ensure(dataDir, { network }).pipe(Effect.mapError((e) => fail(e.message)))
    const paths = report.paths
    if (mode === "introducer" && report.created.includes(paths.configFile)) {
      yield* Effect.tryPromise({
        try: () => writeFileAtomic(paths.configFile, introducerConfigText(network), 0o644),
        catch: (cause) => fail(`cannot write ${paths.configFile}: ${String(cause)}`)
      })
    }
    const loaded = yield* Config.load(paths.configFile).pipe(Effect.mapError((e) => fail(e.message)))
    const config = yield* applyOverrides(loaded.config, overrides)
    const warnings = loaded.unknownKeys.map((key) => `${paths.configFile}: unknown key "${key}" (ignored)`)
    return { mode, paths, config, nodeId: report.nodeId, created: report.created, warnings }
  })

/** The P2P TLS: the public full-node pair; the remote must chain to the Chia CA (the reference's CERT_REQUIRED). */
export const p2pTls = (paths: DataDir.DataDirPaths): Effect.Effect<TlsSettings, CliFailure> =>
  Effect.gen(function*() {
    const identity = yield* Certificates.loadIdentity(paths.publicFullNodeCertificate, paths.publicFullNodeKey).pipe(
      Effect.mapError((e) => fail(e.message))
    )
    const chiaCa = yield* Certificates.chiaCa.pipe(Effect.mapError((e) => fail(e.message)))
    return { identity, verify: { _tag: "RequireCa", caPem: [chiaCa.certificatePem] } }
  })

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

/**
 * Closes `scope`, waiting at most `timeout`: connections that do not answer the close handshake, or a disk that hangs,
 * must not keep the process from exiting. What is still running afterwards is abandoned (the process is exiting).
 */
export const closeWithin = (scope: Scope.CloseableScope, timeout: Duration.DurationInput): Effect.Effect<void> =>
  Scope.close(scope, Exit.void).pipe(
    Effect.disconnect,
    Effect.timeoutTo({
      duration: timeout,
      onSuccess: () => Effect.void,
      onTimeout: () => Effect.logWarning(`shutdown took longer than ${Duration.format(timeout)}; exiting anyway`)
    }),
    Effect.flatten
  )

/** Runs `effect` in a new scope that is closed within `timeout` at the end (success, failure or interruption). */
export const scopedWithin = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  timeout: Duration.DurationInput
): Effect.Effect<A, E, Exclude<R, Scope.Scope>> =>
  Effect.flatMap(Scope.make(), (scope) =>
    effect.pipe(Scope.extend(scope), Effect.ensuring(closeWithin(scope, timeout))))

/** One log line per connection event: connects and disconnects at info (debug for feelers), bans as warnings. */
export const logEvent = (event: NodeEvent): Effect.Effect<void> => {
  switch (event._tag) {
    case "Connected": {
      const c = event.connection
      const log = c.purpose === "feeler" || c.purpose === "introducer" ? Effect.logDebug : Effect.logInfo
      return log(`connected ${c.direction} ${hostPort(c.host, c.port)}`).pipe(
        Effect.annotateLogs({ purpose: c.purpose, node_type: c.nodeType, node_id: c.nodeId.slice(0, 16) })
      )
    }
    case "Disconnected": {
      const c = event.connection
      const log = c.purpose === "feeler" || c.purpose === "introducer" ? Effect.logDebug : Effect.logInfo
      return log(`disconnected ${hostPort(c.host, c.port)}`).pipe(
        Effect.annotateLogs({ initiator: event.initiator, code: event.code, reason: event.reason })
      )
    }
    case "Refused":
      return Effect.logDebug(`refused ${hostPort(event.host, event.port)}: ${event.reason}`)
    case "Banned":
      return Effect.logWarning(`banned ${event.host} for ${event.seconds} s: ${event.reason}`)
  }
}

const describeMode = (mode: NodeMode) => (mode === "introducer" ? "introducer" : "full node")

export interface RunNodeOptions {
  readonly mode: NodeMode
  readonly dataDir: string
  readonly overrides: ConfigOverrides
  readonly version: string
  /** Interval of status log lines when stderr is not a terminal. */
  readonly statusInterval?: Duration.DurationInput | undefined
}

/**
 * Runs the node until `stop_node` or interruption (SIGINT/SIGTERM through `NodeRuntime.runMain`). Shutdown closes the
 * RPC, then every connection (1000, or 1001 from the listener), then writes the address book and the ban list; it is
 * bounded by `SHUTDOWN_TIMEOUT`.
 */
export const runNode = (options: RunNodeOptions): Effect.Effect<void, CliFailure> =>
  Effect.gen(function*() {
    const terminal = Logging.processTerminal()
    const prepared = yield* prepare(options.mode, options.dataDir, options.overrides)
    const { config, paths } = prepared
    const logLayer = Logging.layer(terminal, config.logging.format, config.logging.level)
    const scope = yield* Scope.make()
    let launched = false
    const body = Effect.gen(function*() {
      if (prepared.created.length > 0) yield* Effect.logInfo(`initialised data directory ${paths.root}`)
      for (const warning of prepared.warnings) yield* Effect.logWarning(warning)
      const node = yield* launch(prepared, { version: options.version }).pipe(Scope.extend(scope))
      launched = true
      const p2pUrl = WebSocketTransport.endpointUrl(node.listening, true)
      yield* Console.log(`peerwire ${describeMode(options.mode)} on ${config.network}, node id ${prepared.nodeId}`)
      yield* Console.log(`data directory ${paths.root}`)
      yield* Console.log(`P2P listening on ${p2pUrl}`)
      if (Option.isSome(node.rpc)) yield* Console.log(`RPC listening on ${node.rpc.value.url}`)
      // The node started (and may have connected) before this subscription: log what is there, then every event.
      const events = yield* node.manager.subscribe.pipe(Scope.extend(scope))
      const present = new Set<string>()
      for (const connection of yield* node.manager.connections) {
        present.add(connection.id)
        yield* logEvent({ _tag: "Connected", connection })
      }
      yield* Queue.take(events).pipe(
        Effect.flatMap((event) =>
          event._tag === "Connected" && present.delete(event.connection.id) ? Effect.void : logEvent(event)
        ),
        Effect.forever,
        Effect.forkIn(scope)
      )
      yield* StatusLine.run({
        terminal,
        snapshot: node.snapshot,
        logInterval: options.statusInterval,
        addressesLabel: options.mode === "introducer" ? "registered" : "addresses"
      }).pipe(Effect.forkIn(scope))
      yield* Deferred.await(node.stopSignal)
      yield* Effect.logInfo("stop_node received; stopping")
    }).pipe(
      Effect.onInterrupt(() => Effect.logInfo("signal received; stopping")),
      Effect.ensuring(
        Effect.zipRight(
          closeWithin(scope, SHUTDOWN_TIMEOUT),
          Effect.suspend(() => (launched ? Effect.logInfo("stopped") : Effect.void))
        )
      )
    )
    yield* Effect.provide(body, logLayer)
  })
