/** Runs one command against the handler table and shapes the answer; never fails, never dies. */
import { Cause, Duration, Effect } from "effect"
import { RpcError } from "./rpcError.js"
import type { JsonObject } from "./rpcJson.js"

/** One command: its JSON parameters (already an object, `{}` when none) to a JSON result. */
export type RpcHandler = (params: unknown) => Effect.Effect<JsonObject, RpcError>

/** Command name (the route without its `/`) → handler. */
export type RpcHandlers = Readonly<Record<string, RpcHandler>>

/** `{"success": false, "error": message}`. */
export const failure = (message: string): JsonObject => ({ success: false, error: message })

/** A command name as routes and WebSocket messages may carry it. */
const COMMAND_NAME = /^[A-Za-z0-9_]{1,100}$/

export const lookup = (table: RpcHandlers, command: string): RpcHandler | undefined =>
  COMMAND_NAME.test(command) && Object.hasOwn(table, command) ? table[command] : undefined

export const unknownCommand = (command: string): RpcError => {
  const shown = command.length > 100 ? `${command.slice(0, 100)}…` : command
  return new RpcError({ reason: "UnknownCommand", message: `unknown command "${shown}" (get_routes lists them)` })
}

const firstLine = (text: string): string => text.split("\n")[0] ?? text

/**
 * The answer to `command`: the handler's result with `"success": true` added when absent (as the reference does), or
 * `{"success": false, "error"}` for an unknown command, bad parameters, a failure, a timeout or a defect.
 */
export const dispatch = (
  table: RpcHandlers,
  command: string,
  params: unknown,
  timeout: Duration.DurationInput
): Effect.Effect<JsonObject> => {
  const handler = lookup(table, command)
  if (handler === undefined) return Effect.succeed(failure(unknownCommand(command).message))
  return Effect.suspend(() => handler(params)).pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () =>
        new RpcError({ reason: "Timeout", message: `${command} did not finish within ${Duration.format(timeout)}` })
    }),
    Effect.map((result): JsonObject => ("success" in result ? result : { ...result, success: true })),
    Effect.catchAllCause((cause) => {
      const failed = Cause.failureOption(cause)
      if (failed._tag === "Some") return Effect.succeed(failure(failed.value.message))
      if (Cause.isInterruptedOnly(cause)) return Effect.succeed(failure(`${command} was interrupted`))
      return Effect.logError(`RPC ${command} failed with a defect`, cause).pipe(
        Effect.as(failure(`internal error in ${command}: ${firstLine(Cause.pretty(cause))}`))
      )
    })
  )
}
