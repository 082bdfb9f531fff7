/**
 * `peerwire devnet --nodes N [--base-port P] [--data-dir DIR]`: an introducer and N full nodes on 127.0.0.1 in this
 * process, finding each other through the introducer and peer exchange, with a live table of connections, message rates
 * and bans. Ctrl-C (or SIGTERM) stops them all and exits 0.
 */
import { Command, Options } from "@effect/cli"
import { Duration, Effect, Option } from "effect"
import * as Devnet from "../internal/devnet.js"
import * as Logging from "../internal/logging.js"
import { scopedWithin, SHUTDOWN_TIMEOUT } from "../internal/runNode.js"
import { failWith } from "./input.js"
import { logFormatOption, logLevelOption } from "./start.js"

/** Largest devnet: every member is a full node with its own listener and certificates in this one process. */
export const MAX_NODES = 200

const nodesOption = Options.integer("nodes").pipe(
  Options.withAlias("n"),
  Options.withDescription(`Number of full nodes (1..${MAX_NODES}), besides the introducer.`)
)

const basePortOption = Options.integer("base-port").pipe(
  Options.withDefault(0),
  Options.withDescription("Introducer on this port, node i on base-port + i (default 0: any free ports).")
)

const dataDirOption = Options.text("data-dir").pipe(
  Options.withAlias("d"),
  Options.optional,
  Options.withDescription(
    "Where the members' data directories go (default: a temporary directory, removed at the end)."
  )
)

const networkOption = Options.text("network").pipe(
  Options.withDefault(Devnet.DEFAULT_NETWORK),
  Options.withDescription("Network name used in the handshakes.")
)

const targetOption = Options.integer("target").pipe(
  Options.optional,
  Options.withDescription("Outbound connections per node (default: half the other nodes, at most 8).")
)

const intervalOption = Options.float("interval").pipe(
  Options.withDefault(Duration.toSeconds(Devnet.DEFAULT_PRINT_INTERVAL)),
  Options.withDescription(
    "Seconds between table prints when stderr is not a terminal (a terminal is redrawn each second)."
  )
)

export const devnet = Command.make(
  "devnet",
  {
    nodes: nodesOption,
    basePort: basePortOption,
    dataDir: dataDirOption,
    network: networkOption,
    target: targetOption,
    interval: intervalOption,
    logFormat: logFormatOption,
    logLevel: logLevelOption
  },
  (options) =>
    Effect.gen(function*() {
      if (!(options.nodes >= 1 && options.nodes <= MAX_NODES)) {
        return yield* failWith(`--nodes ${options.nodes}: expected 1..${MAX_NODES}`)
      }
      if (options.basePort !== 0 && !(options.basePort >= 1 && options.basePort + options.nodes <= 65535)) {
        return yield* failWith(
          `--base-port ${options.basePort}: the ports base-port..base-port+${options.nodes} must fit in 1..65535`
        )
      }
      const target = Option.getOrElse(options.target, () => Devnet.defaultTarget(options.nodes))
      if (!(target >= 1)) return yield* failWith(`--target ${target}: expected at least 1`)
      if (!(options.interval > 0)) return yield* failWith("--interval must be a positive number")
      const terminal = Logging.processTerminal()
      const logs = Logging.layer(
        terminal,
        Option.getOrElse(options.logFormat, () => "text" as const),
        Option.getOrElse(options.logLevel, () => "warning" as const)
      )
      return yield* Devnet.runDevnet({
        nodes: options.nodes,
        basePort: options.basePort,
        dataDir: Option.getOrUndefined(options.dataDir),
        network: options.network,
        target,
        terminal,
        printInterval: Duration.millis(Math.round(options.interval * 1000))
      }).pipe((devnet) => scopedWithin(devnet, SHUTDOWN_TIMEOUT), Effect.provide(logs))
    })
).pipe(
  Command.withDescription(
    "Run an introducer and N full nodes on 127.0.0.1 in this process, with a live table of who is connected to whom, " +
      "message rates and bans. Ctrl-C stops them all."
  )
)
