/**
 * A client of a node's local RPC (`Rpc.ts`), like the reference's `chia/rpc/rpc_client.py`: HTTPS POST with the data
 * directory's daemon certificate (signed by its private CA), the server checked against that private CA, a timeout, and
 * typed errors whose messages are one line.
 */
import { Data, Duration, Effect, Either } from "effect"
import { readFile } from "node:fs/promises"
import { Certificates, type TlsIdentity } from "@peerwire/transport"
import { load as loadConfig } from "./Config.js"
import { paths as dataDirPaths } from "./DataDir.js"
import { post, type PostFailure } from "./internal/rpcClientHttp.js"
import { type JsonObject, parseObject, render } from "./internal/rpcJson.js"

export { MAX_RESPONSE_BYTES } from "./internal/rpcClientHttp.js"

/** Default wait for an answer (the reference's `rpc_timeout: 300`). */
export const DEFAULT_TIMEOUT: Duration.Duration = Duration.seconds(300)

/**
 * Why a call failed.
 * - `NotRunning`: nothing listens at the address (connection refused).
 * - `Tls`: the TLS handshake failed (the server does not trust our certificate, or we do not trust it).
 * - `Connection`: the connection failed or closed otherwise.
 * - `Timeout`: no answer in time.
 * - `BadResponse`: an answer that is not a JSON object (or not HTTP 200 without one).
 * - `Setup`: the data directory's config or certificates could not be read.
 */
export type RpcClientErrorReason = "NotRunning" | "Tls" | "Connection" | "Timeout" | "BadResponse" | "Setup"

export class RpcClientError extends Data.TaggedError("RpcClientError")<{
  readonly reason: RpcClientErrorReason
  /** One line, naming the address (and the data directory when known). */
  readonly message: string
  readonly cause?: unknown
}> {}

export interface RpcClientOptions {
  readonly host: string
  readonly port: number
  /** The client certificate (the daemon's private pair). */
  readonly identity: TlsIdentity
  /** CA(s) the server's certificate must chain to (the private CA). */
  readonly caPem: ReadonlyArray<string>
  /** Default `DEFAULT_TIMEOUT`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Named in error messages. */
  readonly dataDir?: string | undefined
}

// A server bound to a wildcard address is reached on loopback.
const connectHost = (host: string): string => {
  if (host === "" || host === "0.0.0.0") return "127.0.0.1"
  if (host === "::" || host === "[::]") return "::1"
  return host.replace(/^\[|\]$/g, "")
}

const describeAddress = (options: RpcClientOptions): string => {
  const host = connectHost(options.host)
  return `${host.includes(":") ? `[${host}]` : host}:${options.port}`
}

const fromPostFailure = (failure: PostFailure, options: RpcClientOptions): RpcClientError => {
  const address = describeAddress(options)
  const dir = options.dataDir !== undefined ? ` (data dir ${options.dataDir})` : ""
  switch (failure._tag) {
    case "Refused":
      return new RpcClientError({ reason: "NotRunning", message: `no node is running at ${address}${dir}` })
    case "Tls":
      return new RpcClientError({
        reason: "Tls",
        message: `TLS with ${address} failed: ${failure.detail} (is it a node of this data dir${dir}?)`
      })
    case "Connection":
      return new RpcClientError({ reason: "Connection", message: `connection to ${address} failed: ${failure.detail}` })
    case "Response":
      return new RpcClientError({ reason: "BadResponse", message: `bad answer from ${address}: ${failure.detail}` })
  }
}

/**
 * Sends `command` with `params` and returns the answer object as is (`success` may be false: the caller decides; see
 * `callOrFail`).
 */
export const call = (
  options: RpcClientOptions,
  command: string,
  params: JsonObject = {}
): Effect.Effect<JsonObject, RpcClientError> => {
  const timeout = options.timeout ?? DEFAULT_TIMEOUT
  const address = describeAddress(options)
  return post({
    host: connectHost(options.host),
    port: options.port,
    path: `/${encodeURIComponent(command)}`,
    body: render(params),
    certificatePem: options.identity.certificatePem,
    privateKeyPem: options.identity.privateKeyPem,
    caPem: options.caPem
  }).pipe(
    Effect.mapError((failure) => fromPostFailure(failure, options)),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () =>
        new RpcClientError({
          reason: "Timeout",
          message: `no answer from ${address} within ${Duration.format(timeout)}`
        })
    }),
    Effect.flatMap(({ status, text }) => {
      const parsed = parseObject(text)
      if (Either.isRight(parsed) && text.trim() !== "") return Effect.succeed(parsed.right)
      const snippet = text.slice(0, 200).replace(/\s+/g, " ")
      const problem = Either.isLeft(parsed) ? parsed.left : "empty body"
      return Effect.fail(
        new RpcClientError({
          reason: "BadResponse",
          message: `bad answer from ${address} (HTTP ${status}): ${problem}` + (snippet !== "" ? `: ${snippet}` : "")
        })
      )
    })
  )
}

/** A failed command (`success: false`): its error message. */
export class RpcCommandError extends Data.TaggedError("RpcCommandError")<{
  readonly command: string
  readonly message: string
  readonly response: JsonObject
}> {}

/** `call`, failing with `RpcCommandError` when the answer has `success: false`. */
export const callOrFail = (
  options: RpcClientOptions,
  command: string,
  params: JsonObject = {}
): Effect.Effect<JsonObject, RpcClientError | RpcCommandError> =>
  Effect.flatMap(call(options, command, params), (response) =>
    response["success"] === false
      ? Effect.fail(
        new RpcCommandError({
          command,
          message: typeof response["error"] === "string" ? response["error"] : `${command} failed`,
          response
        })
      )
      : Effect.succeed(response))

/**
 * Client options for the node of a data directory: host and port from its `config.yaml` (`rpc.host`, `rpc.port`), the
 * daemon's private certificate, the private CA.
 */
export const fromDataDir = (
  dir: string,
  options: { readonly timeout?: Duration.DurationInput | undefined } = {}
): Effect.Effect<RpcClientOptions, RpcClientError> =>
  Effect.gen(function* () {
    const p = dataDirPaths(dir)
    const setup = (message: string, cause?: unknown) => new RpcClientError({ reason: "Setup", message, cause })
    const { config } = yield* loadConfig(p.configFile).pipe(
      Effect.mapError((e) =>
        e.reason === "Read"
          ? setup(`cannot read ${p.configFile}; is ${p.root} a data directory? (run \`peerwire init\`)`, e)
          : setup(e.message, e)
      )
    )
    const identity = yield* Certificates.loadIdentity(p.privateDaemonCertificate, p.privateDaemonKey).pipe(
      Effect.mapError((e) => setup(`${e.message} (run \`peerwire init\`)`, e))
    )
    const caPem = yield* Effect.tryPromise({
      try: () => readFile(p.privateCaCertificate, "utf8"),
      catch: (cause) =>
        setup(`cannot read ${p.privateCaCertificate}: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
    })
    return {
      host: config.rpc.host,
      port: config.rpc.port,
      identity,
      caPem: [caPem],
      timeout: options.timeout,
      dataDir: p.root
    }
  })
