/**
 * `peerwire introducer`: runs an introducer (the reference's `chia/introducer`): registers inbound full nodes, vets
 * them and answers `request_peers_introducer`. Same flags as `start`; its default data directory is beside the node's
 * (`~/.peerwire/<network>-introducer`), and a data directory it creates listens on 8445 with its RPC on 8556.
 */
import { Command } from "@effect/cli"
import * as DataDir from "../DataDir.js"
import { nodeCliOptions, runNodeCommand } from "./start.js"

/** `$PEERWIRE_ROOT-introducer`, else `~/.peerwire/<network>-introducer`. */
export const defaultIntroducerDir = (network: string): string => `${DataDir.defaultDir(network)}-introducer`

export const introducer = Command.make(
  "introducer",
  nodeCliOptions,
  (options) => runNodeCommand("introducer", options, defaultIntroducerDir)
).pipe(
  Command.withDescription(
    "Run an introducer: registers inbound full nodes, vets them, answers request_peers_introducer. " +
      "It makes no outbound connections: --peer is ignored, --no-discovery turns off its DNS top-up."
  )
)
