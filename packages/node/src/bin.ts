#!/usr/bin/env node
/**
 * The `peerwire` executable. Failures a subcommand explains (`CliFailure`) print as one line on stderr; argument errors
 * are printed by @effect/cli itself; either way the exit code is 1.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect } from "effect"
import { CliFailure, run } from "./cli/index.js"

run(process.argv).pipe(
  Effect.tapError((error) => (error instanceof CliFailure ? Console.error(`error: ${error.message}`) : Effect.void)),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
