/**
 * The node's local RPC server, shaped like the reference's (`chia/rpc/rpc_server.py`): HTTPS on 127.0.0.1:8555 with
 * mutual TLS (server = the private full-node certificate; a client must present a certificate signed by the private CA,
 * e.g. the daemon's; TLS ≥ 1.3), every command `POST /<command>` with a JSON object body (empty = `{}`), answers
 * `{"success": true, …}` or `{"success": false, "error": "…"}` with HTTP 200. The same commands are served over a
 * WebSocket at `/ws` in the reference daemon's message shape.
 *
 * Unlike the reference, a malformed body, an oversized body (> 1 MiB) or an unknown command is a `success: false`
 * answer naming the problem, not an HTTP 500.
 */
import { Context, Duration, Effect, Layer, type Scope } from "effect"
import { readFile } from "node:fs/promises"
import { Certificates, type TlsIdentity } from "@peerwire/transport"
import { type DataDirPaths, paths as dataDirPaths } from "./DataDir.js"
import { nodeCommands, withBuiltins } from "./internal/rpcCommands.js"
import { dispatch, lookup, type RpcHandlers } from "./internal/rpcDispatch.js"
import { type NodeControlError, RpcServerError } from "./internal/rpcError.js"
import { start } from "./internal/rpcHttp.js"

export { DEFAULT_BAN_REASON, DEFAULT_BAN_SECONDS } from "./internal/rpcCommands.js"
export { failure, type RpcHandler, type RpcHandlers } from "./internal/rpcDispatch.js"
export {
  NodeControlError,
  RpcError,
  type RpcErrorReason,
  RpcServerError,
  type RpcServerErrorReason
} from "./internal/rpcError.js"
export { CLOSE_GRACE_MS, TLS_HANDSHAKE_TIMEOUT_MS, WEBSOCKET_PATH } from "./internal/rpcHttp.js"
export { isJsonObject, type JsonObject, type JsonValue, render } from "./internal/rpcJson.js"
export { MAX_BAN_SECONDS } from "./internal/rpcParams.js"
export { MAX_PENDING_PER_SOCKET, SERVICE_NAME } from "./internal/rpcWebSocket.js"

/** Where the RPC listens by default (config `rpc.host` / `rpc.port`, the reference full node's `rpc_port`). */
export const DEFAULT_HOST = "127.0.0.1"
export const DEFAULT_PORT = 8555
/** Largest request body (and WebSocket message): 1 MiB, the reference's `max_request_body_size`. */
export const MAX_BODY_BYTES = 1024 * 1024
/** Longest a command may run before it is answered with a timeout error. */
export const HANDLER_TIMEOUT: Duration.Duration = Duration.seconds(120)

/** One connection, in the reference's `get_connections` fields. */
export interface ConnectionInfo {
  /** The peer's NodeType: 1 full node, 2 harvester, 3 farmer, 4 timelord, 5 introducer, 6 wallet, 7 data layer. */
  readonly type: number
  readonly local_port: number
  readonly peer_host: string
  readonly peer_port: number
  /** The port the peer listens on, from its handshake (0 for wallets). */
  readonly peer_server_port: number
  /** SHA-256 of the peer's certificate: lower-case hex without `0x` (the RPC prints it with `0x`, as the reference). */
  readonly node_id: string
  /** Epoch seconds (may have a fraction). */
  readonly creation_time: number
  readonly bytes_read: number
  readonly bytes_written: number
  /** Epoch seconds of the last message received. */
  readonly last_message_time: number
}

/** One ban (the `BanList`'s `Ban`). */
export interface BanInfo {
  readonly host: string
  /** Epoch milliseconds when it ends (the RPC prints epoch seconds). */
  readonly until: number
  readonly reason: string
}

/** What the RPC commands need from the node. Implemented by the node from its PeerManager and BanList. */
export interface NodeControlShape {
  /** Current connections (`get_connections`). */
  readonly connections: Effect.Effect<ReadonlyArray<ConnectionInfo>>
  /** Dials `host:port` (a name is resolved) and completes the handshake; the error is one line (`open_connection`). */
  readonly openConnection: (host: string, port: number) => Effect.Effect<void, NodeControlError>
  /** Closes the connections to the node with this id (lower-case hex, no `0x`); false when there is none. */
  readonly closeConnection: (nodeIdHex: string) => Effect.Effect<boolean>
  /** Asks the node to stop and returns at once, so that `stop_node` is answered before the node goes down. */
  readonly stop: Effect.Effect<void>
  /** `selected_network` (`mainnet`, `testnet11`, …). */
  readonly networkName: string
  /** Address prefix: `xch` on mainnet, `txch` on testnets (see `networkPrefixFor`). */
  readonly networkPrefix: string
  /** Software version reported by `get_version`. */
  readonly version: string
  /** Current bans (`get_ban_list`). */
  readonly bans: Effect.Effect<ReadonlyArray<BanInfo>>
  /** Bans an IP for `seconds`; false when the host is exempt (localhost, trusted network). */
  readonly ban: (host: string, seconds: number, reason: string) => Effect.Effect<boolean>
  /** Lifts a ban; false when the host was not banned. */
  readonly unban: (host: string) => Effect.Effect<boolean>
}

export class NodeControl extends Context.Tag("@peerwire/node/NodeControl")<NodeControl, NodeControlShape>() {}

/** The reference's address prefix for a network: `xch` for mainnet, `txch` otherwise. */
export const networkPrefixFor = (networkName: string): string => (networkName === "mainnet" ? "xch" : "txch")

/**
 * The node's commands on top of `control`: get_connections, open_connection, close_connection, stop_node,
 * get_network_info, get_version, get_ban_list, ban, unban (the server adds get_routes and healthz).
 */
export const handlers = (control: NodeControlShape): RpcHandlers => nodeCommands(control)

/** The server's TLS: its certificate and the CA(s) client certificates must chain to. */
export interface RpcTls {
  readonly identity: TlsIdentity
  readonly caPem: ReadonlyArray<string>
}

export interface ServeOptions {
  /** Default `DEFAULT_HOST`. */
  readonly host?: string | undefined
  /** Default `DEFAULT_PORT`; 0 picks a free port. */
  readonly port?: number | undefined
  readonly tls: RpcTls
  /** Commands; `get_routes` and `healthz` are added unless present. */
  readonly handlers: RpcHandlers
  /** Default `MAX_BODY_BYTES`. */
  readonly maxBodyBytes?: number | undefined
  /** Default `HANDLER_TIMEOUT`. */
  readonly handlerTimeout?: Duration.DurationInput | undefined
}

export interface RpcServer {
  readonly host: string
  /** The bound port (the real one when 0 was asked). */
  readonly port: number
  readonly url: string
}

/** Starts the RPC server; closing the scope stops it (requests in flight get `CLOSE_GRACE_MS` to finish). */
export const serve = (options: ServeOptions): Effect.Effect<RpcServer, RpcServerError, Scope.Scope> =>
  Effect.gen(function* () {
    const host = options.host ?? DEFAULT_HOST
    const table = withBuiltins(options.handlers)
    const timeout = options.handlerTimeout ?? HANDLER_TIMEOUT
    const address = yield* start({
      host,
      port: options.port ?? DEFAULT_PORT,
      identity: options.tls.identity,
      caPem: options.tls.caPem,
      maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
      answer: (command, params) => dispatch(table, command, params, timeout),
      known: (command) => lookup(table, command) !== undefined
    })
    const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address
    return { host, port: address.port, url: `https://${urlHost}:${address.port}` }
  })

/** `serve` with the node's commands from the `NodeControl` in context, plus `extraHandlers` (which win on a clash). */
export const serveNode = (
  options: Omit<ServeOptions, "handlers"> & { readonly extraHandlers?: RpcHandlers | undefined }
): Effect.Effect<RpcServer, RpcServerError, NodeControl | Scope.Scope> =>
  Effect.flatMap(NodeControl, (control) =>
    serve({ ...options, handlers: { ...handlers(control), ...options.extraHandlers } }))

/** `serveNode` as a layer: the server runs while the layer is in use. */
export const layer = (
  options: Omit<ServeOptions, "handlers"> & { readonly extraHandlers?: RpcHandlers | undefined }
): Layer.Layer<never, RpcServerError, NodeControl> => Layer.scopedDiscard(serveNode(options))

const describeCause = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** The server TLS from a data directory: the private full-node pair, clients checked against the private CA. */
export const tlsFromDataDir = (dir: string | DataDirPaths): Effect.Effect<RpcTls, RpcServerError> =>
  Effect.gen(function* () {
    const p = typeof dir === "string" ? dataDirPaths(dir) : dir
    const tlsError = (message: string, cause: unknown) =>
      new RpcServerError({ reason: "Tls", message: `${message} (run \`peerwire init\`)`, cause })
    const identity = yield* Certificates.loadIdentity(p.privateFullNodeCertificate, p.privateFullNodeKey).pipe(
      Effect.mapError((e) => tlsError(e.message, e))
    )
    const caPem = yield* Effect.tryPromise({
      try: () => readFile(p.privateCaCertificate, "utf8"),
      catch: (cause) =>
        tlsError(`cannot read ${p.privateCaCertificate}: ${describeCause(cause)}`, cause)
    })
    return { identity, caPem: [caPem] }
  })
