/**
 * `peerwire start`: runs a full node on a data directory (created as `init` would when missing): listens on
 * `wss://0.0.0.0:PORT/ws` with the public certificate, connects to `--peer`s and discovers peers, serves the local RPC,
 * logs, and keeps a status line current. Stops on `stop_node`, SIGINT or SIGTERM (exit 0).
 */
import { Command, Options } from "@effect/cli"
import { Duration, Effect, Option } from "effect"
import * as DataDir from "../DataDir.js"
import { LOG_FORMATS, LOG_LEVELS } from "../internal/logging.js"
import type { ConfigOverrides, NodeMode } from "../internal/prepareNode.js"
import { runNode } from "../internal/runNode.js"
import { DEFAULT_LOG_INTERVAL } from "../internal/statusLine.js"
import { dataDirOption, networkOption, resolveDataDir } from "./init.js"
import { failWith } from "./input.js"

/** Reported by `get_version` (kept in step with package.json and `cli/index.ts`). */
export const NODE_VERSION = "0.1.0"

export const portOption = Options.integer("port").pipe(
  Options.withAlias("p"),
  Options.optional,
  Options.withDescription("P2P listen port (default: config.yaml `port`, 8444 on mainnet); 0 picks a free port.")
)

export const rpcPortOption = Options.integer("rpc-port").pipe(
  Options.optional,
  Options.withDescription("Local RPC port (default: config.yaml `rpc.port`, 8555); `peerwire rpc` reads the config's.")
)

export const peerOption = Options.text("peer").pipe(
  Options.repeated,
  Options.withDescription("HOST:PORT of a peer to connect to and keep connected (repeatable; IPv6 as [addr]:port).")
)

export const noDiscoveryOption = Options.boolean("no-discovery").pipe(
  Options.withDescription("Do not look for peers (no DNS, introducer or outbound loop); only --peer and inbound.")
)

export const logFormatOption = Options.choice("log-format", LOG_FORMATS).pipe(
  Options.optional,
  Options.withDescription("Log format: text (default) or json (one object per line), on stderr.")
)

export const logLevelOption = Options.choice("log-level", LOG_LEVELS).pipe(
  Options.optional,
  Options.withDescription("Lowest level logged (default: config.yaml `logging.level`, info).")
)

export const statusIntervalOption = Options.float("status-interval").pipe(
  Options.optional,
  Options.withDescription(
    "Seconds between status log lines when stderr is not a terminal " +
      `(default ${Duration.toSeconds(DEFAULT_LOG_INTERVAL)}).`
  )
)

export interface NodeCliOptions {
  readonly dataDir: Option.Option<string>
  readonly network: Option.Option<string>
  readonly port: Option.Option<number>
  readonly rpcPort: Option.Option<number>
  readonly peer: ReadonlyArray<string>
  readonly noDiscovery: boolean
  readonly logFormat: Option.Option<(typeof LOG_FORMATS)[number]>
  readonly logLevel: Option.Option<(typeof LOG_LEVELS)[number]>
  readonly statusInterval: Option.Option<number>
}

export const nodeCliOptions = {
  dataDir: dataDirOption,
  network: networkOption,
  port: portOption,
  rpcPort: rpcPortOption,
  peer: peerOption,
  noDiscovery: noDiscoveryOption,
  logFormat: logFormatOption,
  logLevel: logLevelOption,
  statusInterval: statusIntervalOption
} as const

const checkPort = (flag: string, port: Option.Option<number>) =>
  Option.match(port, {
    onNone: () => Effect.void,
    onSome: (p) => (p >= 0 && p <= 65535 ? Effect.void : failWith(`${flag} ${p}: expected a port 0..65535`))
  })

/** Validates the flags and runs the node in `mode` on the data directory they name. */
export const runNodeCommand = (mode: NodeMode, options: NodeCliOptions, defaultDir: (network: string) => string) =>
  Effect.gen(function*() {
    yield* checkPort("--port", options.port)
    yield* checkPort("--rpc-port", options.rpcPort)
    const interval = Option.getOrUndefined(options.statusInterval)
    if (interval !== undefined && !(interval > 0)) return yield* failWith("--status-interval must be a positive number")
    const network = Option.getOrUndefined(options.network)
    const dataDir = Option.isSome(options.dataDir)
      ? options.dataDir.value
      : defaultDir(network ?? DataDir.DEFAULT_NETWORK)
    const overrides: ConfigOverrides = {
      network,
      port: Option.getOrUndefined(options.port),
      rpcPort: Option.getOrUndefined(options.rpcPort),
      peers: options.peer,
      noDiscovery: options.noDiscovery,
      logFormat: Option.getOrUndefined(options.logFormat),
      logLevel: Option.getOrUndefined(options.logLevel)
    }
    yield* runNode({
      mode,
      dataDir,
      overrides,
      version: NODE_VERSION,
      statusInterval: interval === undefined ? undefined : Duration.millis(Math.round(interval * 1000))
    })
  })

export const start = Command.make(
  "start",
  nodeCliOptions,
  (options) => runNodeCommand("full_node", options, (network) => resolveDataDir(Option.none(), Option.some(network)))
).pipe(
  Command.withDescription(
    "Run a full node: wss P2P on config `port` (8444), discovery, local RPC (127.0.0.1:8555), status line. " +
      "Creates the data directory when missing. Stops on SIGINT/SIGTERM or the RPC's stop_node."
  )
)
