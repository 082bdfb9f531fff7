/**
 * Before a node starts: the data directory made complete (as `init` would), `config.yaml` loaded and validated with the
 * flags applied over it, and the P2P TLS settings from the directory's public certificate.
 */
import { Effect } from "effect"
import type { TlsSettings } from "@peerwire/transport"
import { Certificates } from "@peerwire/transport"
import { CliFailure } from "../cli/input.js"
import * as Config from "../Config.js"
import * as DataDir from "../DataDir.js"
import { writeFileAtomic } from "./atomicFile.js"
import { parseHostPort } from "./hosts.js"
import * as Logging from "./logging.js"

export type NodeMode = "full_node" | "introducer"

/** The introducer's ports in a data directory it creates (the reference's `introducer.port`; no reference RPC). */
export const DEFAULT_INTRODUCER_PORT = 8445
export const DEFAULT_INTRODUCER_RPC_PORT = 8556

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
