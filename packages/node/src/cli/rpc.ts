/**
 * `peerwire rpc <command> [json|-] [--data-dir DIR] [--timeout SECONDS]`: calls the local RPC of the node that runs on
 * a data directory (address from its config.yaml, the daemon certificate for mutual TLS) and prints the JSON answer.
 * Exit code 1 when the answer has `success: false` or the call fails, with a one-line message on stderr.
 */
import { Args, Command, Options } from "@effect/cli"
import { Duration, Effect, Option } from "effect"
import { isJsonObject, type JsonObject } from "../Rpc.js"
import * as RpcClient from "../RpcClient.js"
import { dataDirOption, networkOption, resolveDataDir } from "./init.js"
import { argumentText, CliFailure, failWith, parseJson, printJson } from "./input.js"

const commandArg = Args.text({ name: "command" }).pipe(
  Args.withDescription("An RPC command, e.g. get_connections, get_network_info, get_routes.")
)

const paramsArg = Args.text({ name: "json|-" }).pipe(
  Args.optional,
  Args.withDescription("Parameters as a JSON object (default {}), or - to read them from stdin.")
)

const timeoutOption = Options.float("timeout").pipe(
  Options.optional,
  Options.withDescription(`Seconds to wait for the answer (default ${Duration.toSeconds(RpcClient.DEFAULT_TIMEOUT)}).`)
)

const compactOption = Options.boolean("compact").pipe(Options.withDescription("Print the JSON on one line."))

export interface RpcCliOptions {
  readonly command: string
  readonly params: Option.Option<string>
  readonly dataDir: Option.Option<string>
  readonly network: Option.Option<string>
  readonly timeout: Option.Option<number>
  readonly compact: boolean
}

const parseParams = (input: Option.Option<string>): Effect.Effect<JsonObject, CliFailure> =>
  Option.match(input, {
    onNone: () => Effect.succeed({}),
    onSome: (text) =>
      Effect.flatMap(argumentText(text), parseJson).pipe(
        Effect.flatMap((json) =>
          isJsonObject(json)
            ? Effect.succeed(json)
            : failWith("the parameters must be a JSON object, e.g. '{\"host\": \"1.2.3.4\"}'")
        )
      )
  })

/** What `peerwire rpc` does: prints the answer, fails with a one-line `CliFailure` when it is not a success. */
export const runRpc = (options: RpcCliOptions): Effect.Effect<JsonObject, CliFailure> =>
  Effect.gen(function* () {
    const timeout = Option.getOrUndefined(options.timeout)
    if (timeout !== undefined && !(timeout > 0)) {
      return yield* failWith("--timeout must be a positive number of seconds")
    }
    const params = yield* parseParams(options.params)
    const dir = resolveDataDir(options.dataDir, options.network)
    const client = yield* RpcClient.fromDataDir(dir, {
      timeout: timeout === undefined ? undefined : Duration.millis(Math.ceil(timeout * 1000))
    }).pipe(Effect.mapError((e) => new CliFailure({ message: e.message })))
    const response = yield* RpcClient.call(client, options.command, params).pipe(
      Effect.mapError((e) => new CliFailure({ message: e.message }))
    )
    yield* printJson(response, options.compact)
    if (response["success"] !== true) {
      const error = typeof response["error"] === "string" ? response["error"] : "the node answered success: false"
      return yield* failWith(error.startsWith(`${options.command}:`) ? error : `${options.command}: ${error}`)
    }
    return response
  })

export const rpc = Command.make(
  "rpc",
  {
    command: commandArg,
    params: paramsArg,
    dataDir: dataDirOption,
    network: networkOption,
    timeout: timeoutOption,
    compact: compactOption
  },
  (options) => Effect.asVoid(runRpc(options))
).pipe(Command.withDescription("Call the local RPC of the node running on a data directory; prints the JSON answer."))
