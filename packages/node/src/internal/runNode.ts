/**
 * What `peerwire start` and `peerwire introducer` do: make sure the data directory exists (as `init` would), load and
 * validate `config.yaml`, apply the flags, then run the node on the wss transport with the public certificate (peers
 * must chain to the Chia CA, as the reference requires), the local RPC, connection-event logs and the status line,
 * until `stop_node` or a signal. Every failure to start is a `CliFailure` of one line.
 */
import { Console, Deferred, Duration, Effect, Exit, Option, Queue, Scope } from "effect"
import * as WebSocketTransport from "@peerwire/transport/WebSocketTransport"
import type { CliFailure } from "../cli/input.js"
import type { NodeEvent } from "../NodeEvents.js"
import { hostPort } from "./hosts.js"
import { launch } from "./launchNode.js"
import * as Logging from "./logging.js"
import { type ConfigOverrides, type NodeMode, prepare } from "./prepareNode.js"
import * as StatusLine from "./statusLine.js"

/** Longest wait for connections to close and files to be written at shutdown. */
export const SHUTDOWN_TIMEOUT = Duration.seconds(8)

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
