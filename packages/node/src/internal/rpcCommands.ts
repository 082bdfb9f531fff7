/** The node's RPC commands, on top of a `NodeControl`. Results use the reference's field names and units. */
import { Effect } from "effect"
import type { BanInfo, ConnectionInfo, NodeControlShape } from "../Rpc.js"
import type { RpcHandlers } from "./rpcDispatch.js"
import { RpcError } from "./rpcError.js"
import type { JsonObject } from "./rpcJson.js"
import * as Params from "./rpcParams.js"

/** Length of a ban made by the `ban` command without `seconds`: one day. */
export const DEFAULT_BAN_SECONDS = 24 * 3600
export const DEFAULT_BAN_REASON = "banned through the RPC"

const failed = (message: string) => new RpcError({ reason: "Failed", message })

// The reference prints bytes32 as 0x hex.
const connectionJson = (c: ConnectionInfo): JsonObject => ({
  type: c.type,
  local_port: c.local_port,
  peer_host: c.peer_host,
  peer_port: c.peer_port,
  peer_server_port: c.peer_server_port,
  node_id: `0x${c.node_id}`,
  creation_time: c.creation_time,
  bytes_read: c.bytes_read,
  bytes_written: c.bytes_written,
  last_message_time: c.last_message_time
})

const banJson = (b: BanInfo): JsonObject => ({ host: b.host, until: Math.ceil(b.until / 1000), reason: b.reason })

/**
 * `get_connections {node_type?}`, `open_connection {host, port}`, `close_connection {node_id}`, `stop_node`,
 * `get_network_info`, `get_version`, `get_ban_list`, `ban {host, seconds?, reason?}`, `unban {host}`.
 * (`get_routes` and `healthz` are added by the server, which knows the whole table.)
 */
export const nodeCommands = (control: NodeControlShape): RpcHandlers => ({
  get_connections: (params) =>
    Effect.gen(function* () {
      const { node_type } = yield* Params.decodeParams(Params.GetConnections, "get_connections")(params)
      const all = yield* control.connections
      const chosen = node_type === undefined ? all : all.filter((c) => c.type === node_type)
      return { connections: chosen.map(connectionJson) }
    }),
  open_connection: (params) =>
    Effect.gen(function* () {
      const { host, port } = yield* Params.decodeParams(Params.OpenConnection, "open_connection")(params)
      yield* control.openConnection(host, port).pipe(
        Effect.mapError((e) => failed(`could not connect to ${host}:${port}: ${e.message}`))
      )
      return {}
    }),
  close_connection: (params) =>
    Effect.gen(function* () {
      const { node_id } = yield* Params.decodeParams(Params.CloseConnection, "close_connection")(params)
      const closed = yield* control.closeConnection(node_id)
      if (!closed) return yield* Effect.fail(failed(`connection with node_id 0x${node_id} does not exist`))
      return {}
    }),
  stop_node: () => control.stop.pipe(Effect.as({})),
  get_network_info: () =>
    Effect.succeed({ network_name: control.networkName, network_prefix: control.networkPrefix }),
  get_version: () => Effect.succeed({ version: control.version }),
  get_ban_list: () => control.bans.pipe(Effect.map((bans) => ({ bans: bans.map(banJson) }))),
  ban: (params) =>
    Effect.gen(function* () {
      const { host, reason, seconds } = yield* Params.decodeParams(Params.Ban, "ban")(params)
      const duration = seconds ?? DEFAULT_BAN_SECONDS
      const banned = yield* control.ban(host, duration, reason ?? DEFAULT_BAN_REASON)
      if (!banned) return yield* Effect.fail(failed(`${host} cannot be banned (localhost or a trusted network)`))
      return { host, seconds: duration }
    }),
  unban: (params) =>
    Effect.gen(function* () {
      const { host } = yield* Params.decodeParams(Params.Unban, "unban")(params)
      return { host, unbanned: yield* control.unban(host) }
    })
})

/** `get_routes` (every command as `/name`, sorted) and `healthz`, added to a table unless it has its own. */
export const withBuiltins = (table: RpcHandlers): RpcHandlers => {
  const full: Record<string, RpcHandlers[string]> = {
    healthz: () => Effect.succeed({}),
    get_routes: () => Effect.succeed({ routes: Object.keys(full).sort().map((name) => `/${name}`) }),
    ...table
  }
  return full
}
