/**
 * `peerwire init [--data-dir DIR] [--network NAME]`: creates the data directory (config.yaml with every default written
 * out, the private CA, the public and private full-node certificates, the daemon certificate, db/). Running it again
 * keeps everything that exists; it never replaces a certificate or a config file.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { relative } from "node:path"
import * as Config from "../Config.js"
import * as DataDir from "../DataDir.js"
import { CliFailure } from "./input.js"

export const dataDirOption = Options.text("data-dir").pipe(
  Options.withAlias("d"),
  Options.optional,
  Options.withDescription(
    `Data directory (default: $${DataDir.ROOT_ENV_VAR}, else ~/${DataDir.HOME_FOLDER}/<network>).`
  )
)

export const networkOption = Options.text("network").pipe(
  Options.optional,
  Options.withDescription(`Network name: mainnet (default), testnet11, or a private network's name.`)
)

/** The data directory the options name: `--data-dir`, else the default for the network. */
export const resolveDataDir = (dataDir: Option.Option<string>, network: Option.Option<string>): string =>
  Option.getOrElse(dataDir, () => DataDir.defaultDir(Option.getOrElse(network, () => DataDir.DEFAULT_NETWORK)))

export interface InitOptions {
  readonly dataDir: Option.Option<string>
  readonly network: Option.Option<string>
}

/** What `peerwire init` does, printing one line per created or kept path; failures are one-line `CliFailure`s. */
export const runInit = (options: InitOptions): Effect.Effect<DataDir.EnsureReport, CliFailure> =>
  Effect.gen(function* () {
    const network = Option.getOrElse(options.network, () => DataDir.DEFAULT_NETWORK)
    const dir = resolveDataDir(options.dataDir, options.network)
    const report = yield* DataDir.ensure(dir, { network }).pipe(
      Effect.mapError((e) => new CliFailure({ message: e.message }))
    )
    const root = report.paths.root
    const show = (path: string) => relative(root, path) || "."
    yield* Console.log(`data directory ${root}`)
    for (const path of report.created) yield* Console.log(`  created ${show(path)}`)
    for (const path of report.kept) yield* Console.log(`  kept    ${show(path)}`)
    const loaded = yield* Effect.either(Config.load(report.paths.configFile))
    if (loaded._tag === "Left") {
      yield* Console.error(`warning: ${loaded.left.message}`)
    } else if (Option.isSome(options.network) && loaded.right.config.network !== network) {
      const kept = loaded.right.config.network
      const file = show(report.paths.configFile)
      yield* Console.error(`warning: kept ${file}, which says network "${kept}", not "${network}"`)
    }
    yield* Console.log(`node id ${report.nodeId}`)
    return report
  })

export const init = Command.make(
  "init",
  { dataDir: dataDirOption, network: networkOption },
  (options) => Effect.asVoid(runInit(options))
).pipe(Command.withDescription("Create the data directory: config.yaml, certificates and db/ (keeps what exists)."))
