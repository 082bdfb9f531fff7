/**
 * The `peerwire` root command. A subcommand is one module exporting a `Command`; adding one is one line in `subcommands`.
 */
import * as Command from "@effect/cli/Command"
import { decode } from "./decode.js"
import { devnet } from "./devnet.js"
import { encode } from "./encode.js"
import { init } from "./init.js"
import { introducer } from "./introducer.js"
import { rpc } from "./rpc.js"
import { start } from "./start.js"

export const subcommands = [decode, encode, init, rpc, start, introducer, devnet] as const

export const peerwire = Command.make("peerwire").pipe(
  Command.withDescription("peerwire: a Chia peer-to-peer protocol stack."),
  Command.withSubcommands(subcommands)
)

/** Version printed by `--version` (kept in step with package.json). */
export const VERSION = "0.1.0"

/** Parses `argv` (as `process.argv`: node, script, args…) and runs the chosen subcommand. */
export const run = Command.run(peerwire, { name: "peerwire", version: VERSION })

export { CliFailure } from "./input.js"
