/**
 * The node's data directory, laid out like the reference's root (`~/.chia/<network>`):
 *
 * ```
 * config/config.yaml                                   node configuration (every default written out, commented)
 * config/ssl/ca/private_ca.{crt,key}                   this installation's private CA
 * config/ssl/full_node/public_full_node.{crt,key}      P2P identity, signed by the public Chia CA (peers accept it)
 * config/ssl/full_node/private_full_node.{crt,key}     local RPC server identity, signed by the private CA
 * config/ssl/daemon/private_daemon.{crt,key}           local RPC client identity (`peerwire rpc`), private CA
 * db/peers.json, db/bans.json                          address book and ban list
 * ```
 *
 * `ensure` creates what is missing and never replaces an existing certificate, key or config file.
 */
import { Effect } from "effect"
import { homedir } from "node:os"
import { join, resolve } from "node:path"
import { Certificates } from "@peerwire/transport"
import { renderDefault } from "./Config.js"
import { writeFileAtomic } from "./internal/atomicFile.js"
import { ensurePair } from "./internal/dataDirCertificates.js"
import { DataDirError } from "./internal/dataDirError.js"
import { describeFsError, ensureDirectory, pathState } from "./internal/dataDirFs.js"

export { DataDirError, type DataDirErrorReason } from "./internal/dataDirError.js"

/** Environment variable naming the data directory (the reference's `CHIA_ROOT`). */
export const ROOT_ENV_VAR = "PEERWIRE_ROOT"
/** Folder under the home directory holding one data directory per network. */
export const HOME_FOLDER = ".peerwire"
export const DEFAULT_NETWORK = "mainnet"
/** Default P2P port per network (`default_full_node_port` of the reference); other names get the mainnet port. */
export const DEFAULT_PORTS: Readonly<Record<string, number>> = { mainnet: 8444, testnet11: 58444, testnet10: 58444 }
/** Mode of created directories; `ssl/` holds private keys, so it is not world-readable. */
export const DIRECTORY_MODE = 0o755
export const SSL_DIRECTORY_MODE = 0o700

export interface DataDirPaths {
  readonly root: string
  readonly configDir: string
  readonly configFile: string
  readonly sslDir: string
  readonly caDir: string
  readonly privateCaCertificate: string
  readonly privateCaKey: string
  readonly fullNodeDir: string
  readonly publicFullNodeCertificate: string
  readonly publicFullNodeKey: string
  readonly privateFullNodeCertificate: string
  readonly privateFullNodeKey: string
  readonly daemonDir: string
  readonly privateDaemonCertificate: string
  readonly privateDaemonKey: string
  readonly dbDir: string
  readonly peersFile: string
  readonly bansFile: string
}

/** Every path of the data directory at `dir` (made absolute). Touches nothing. */
export const paths = (dir: string): DataDirPaths => {
  const root = resolve(dir)
  const configDir = join(root, "config")
  const sslDir = join(configDir, "ssl")
  const caDir = join(sslDir, "ca")
  const fullNodeDir = join(sslDir, "full_node")
  const daemonDir = join(sslDir, "daemon")
  const dbDir = join(root, "db")
  return {
    root,
    configDir,
    configFile: join(configDir, "config.yaml"),
    sslDir,
    caDir,
    privateCaCertificate: join(caDir, "private_ca.crt"),
    privateCaKey: join(caDir, "private_ca.key"),
    fullNodeDir,
    publicFullNodeCertificate: join(fullNodeDir, "public_full_node.crt"),
    publicFullNodeKey: join(fullNodeDir, "public_full_node.key"),
    privateFullNodeCertificate: join(fullNodeDir, "private_full_node.crt"),
    privateFullNodeKey: join(fullNodeDir, "private_full_node.key"),
    daemonDir,
    privateDaemonCertificate: join(daemonDir, "private_daemon.crt"),
    privateDaemonKey: join(daemonDir, "private_daemon.key"),
    dbDir,
    peersFile: join(dbDir, "peers.json"),
    bansFile: join(dbDir, "bans.json")
  }
}

const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Fails unless `network` can be a directory name (letters, digits, `_ . -`, at most 64, not starting with a dot). */
export const checkNetworkName = (network: string): Effect.Effect<string, DataDirError> =>
  NETWORK_NAME.test(network)
    ? Effect.succeed(network)
    : Effect.fail(
      new DataDirError({
        reason: "InvalidNetwork",
        path: network,
        message: `invalid network name "${network}": use letters, digits, "_", "." or "-" (at most 64)`
      })
    )

/** `$PEERWIRE_ROOT` when set (and not empty), else `~/.peerwire/<network>`. */
export const defaultDir = (
  network: string = DEFAULT_NETWORK,
  env: Readonly<Record<string, string | undefined>> = process.env,
  home: string = homedir()
): string => {
  const fromEnv = env[ROOT_ENV_VAR]
  return fromEnv !== undefined && fromEnv !== "" ? resolve(fromEnv) : join(home, HOME_FOLDER, network)
}

export interface EnsureOptions {
  /** Network written into a new `config.yaml` (default mainnet); its default port too. */
  readonly network?: string | undefined
}

/** What `ensure` did, as absolute paths in creation order. */
export interface EnsureReport {
  readonly paths: DataDirPaths
  /** Directories and files it created. */
  readonly created: ReadonlyArray<string>
  /** Certificate, key and config files that existed and were kept as they are. */
  readonly kept: ReadonlyArray<string>
  /** The node id peers will see: SHA-256 of the public full-node certificate, lower-case hex. */
  readonly nodeId: string
}

const directoryError = (path: string, cause: unknown) =>
  new DataDirError({
    reason: "Directory",
    path,
    message: `cannot create data directory ${path}: ${describeFsError(cause)}`,
    cause
  })

const certificateError = (path: string, error: Certificates.CertificateError) =>
  new DataDirError({ reason: "Certificate", path, message: error.message, cause: error })

/**
 * Creates what is missing in the data directory at `dir`: directories, the private CA, the public full-node pair
 * (signed by the Chia CA), the private full-node and daemon pairs (signed by the private CA) and `config.yaml`.
 * Existing files are kept (and existing certificates checked against their CA); a second run does nothing.
 */
export const ensure = (dir: string, options: EnsureOptions = {}): Effect.Effect<EnsureReport, DataDirError> =>
  Effect.gen(function* () {
    const network = yield* checkNetworkName(options.network ?? DEFAULT_NETWORK)
    const p = paths(dir)
    const configError = (message: string, cause: unknown) =>
      new DataDirError({ reason: "Config", path: p.configFile, message, cause })
    const created: Array<string> = []
    const kept: Array<string> = []

    const directories: ReadonlyArray<readonly [string, number]> = [
      [p.root, DIRECTORY_MODE],
      [p.configDir, DIRECTORY_MODE],
      [p.sslDir, SSL_DIRECTORY_MODE],
      [p.caDir, SSL_DIRECTORY_MODE],
      [p.fullNodeDir, SSL_DIRECTORY_MODE],
      [p.daemonDir, SSL_DIRECTORY_MODE],
      [p.dbDir, DIRECTORY_MODE]
    ]
    for (const [path, mode] of directories) {
      const made = yield* ensureDirectory(path, mode).pipe(Effect.mapError((cause) => directoryError(path, cause)))
      if (made) created.push(path)
    }

    const record = (certificate: string, privateKey: string, wasCreated: boolean) =>
      (wasCreated ? created : kept).push(privateKey, certificate)

    const privateCa = yield* ensurePair(
      { certificate: p.privateCaCertificate, privateKey: p.privateCaKey },
      Certificates.generateCa()
    )
    record(p.privateCaCertificate, p.privateCaKey, privateCa.created)

    const chiaCa = yield* Certificates.chiaCa.pipe(
      Effect.mapError((e) => certificateError(Certificates.CHIA_CA_CERTIFICATE_PATH, e))
    )
    let publicCertificatePem = ""
    const privateIssuer = { ca: privateCa.identity, name: `private CA ${p.privateCaCertificate}` }
    const nodePairs = [
      [p.publicFullNodeCertificate, p.publicFullNodeKey, { ca: chiaCa, name: "public Chia CA" }],
      [p.privateFullNodeCertificate, p.privateFullNodeKey, privateIssuer],
      [p.privateDaemonCertificate, p.privateDaemonKey, privateIssuer]
    ] as const
    for (const [certificate, privateKey, issuer] of nodePairs) {
      const outcome = yield* ensurePair(
        { certificate, privateKey },
        Certificates.generateNodeCertificate(issuer.ca),
        issuer
      )
      record(certificate, privateKey, outcome.created)
      if (certificate === p.publicFullNodeCertificate) publicCertificatePem = outcome.identity.certificatePem
    }
    const nodeId = yield* Certificates.certificateDer(publicCertificatePem).pipe(
      Effect.map(Certificates.nodeIdHex),
      Effect.mapError((e) => certificateError(p.publicFullNodeCertificate, e))
    )

    const configState = yield* pathState(p.configFile).pipe(
      Effect.mapError((cause) => configError(`cannot check ${p.configFile}: ${describeFsError(cause)}`, cause))
    )
    if (configState === "missing") {
      const text = renderDefault({ network, port: DEFAULT_PORTS[network] ?? DEFAULT_PORTS[DEFAULT_NETWORK]! })
      yield* Effect.tryPromise({
        try: () => writeFileAtomic(p.configFile, text, 0o644),
        catch: (cause) => configError(`cannot write ${p.configFile}: ${describeFsError(cause)}`, cause)
      })
      created.push(p.configFile)
    } else if (configState === "file") {
      kept.push(p.configFile)
    } else {
      return yield* Effect.fail(configError(`${p.configFile} exists but is not a regular file`, undefined))
    }
    return { paths: p, created, kept, nodeId }
  })
