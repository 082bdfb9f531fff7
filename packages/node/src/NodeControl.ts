/**
 * The RPC's `NodeControl` (see `Rpc.ts`) implemented from a running node's parts: connections and dials from the
 * `PeerManager`, bans from the `BanList`, byte counters from the transport's traffic meter, and `stop` completing a
 * Deferred that the node's main fiber waits on (so `stop_node` is answered before the node goes down).
 */
import { Deferred, Effect, Layer } from "effect"
import { BanList, normalizeHost } from "./BanList.js"
import type { TrafficMeter } from "./internal/trafficMeter.js"
import type { ConnectionInfo as NodeConnection } from "./NodeEvents.js"
import { PeerManager } from "./PeerManager.js"
import { type ConnectionInfo, NodeControl, NodeControlError, type NodeControlShape, networkPrefixFor } from "./Rpc.js"

export interface NodeControlOptions {
  readonly networkName: string
  readonly version: string
  /** Completed by `stop`. */
  readonly stopSignal: Deferred.Deferred<void>
  /** Byte and message counters of the node's transport; without it, bytes are reported as 0. */
  readonly traffic?: TrafficMeter | undefined
}

const toRpcConnection = (c: NodeConnection, traffic: TrafficMeter | undefined): ConnectionInfo => {
  const counts = traffic?.of(c.id)
  return {
    type: c.nodeType,
    local_port: c.localPort,
    peer_host: c.host,
    peer_port: c.port,
    peer_server_port: c.serverPort,
    node_id: c.nodeId,
    creation_time: c.since / 1000,
    bytes_read: counts?.bytesIn ?? 0,
    bytes_written: counts?.bytesOut ?? 0,
    last_message_time: (counts !== undefined && counts.lastIn > 0 ? counts.lastIn : c.since) / 1000
  }
}

export const make = (options: NodeControlOptions): Effect.Effect<NodeControlShape, never, PeerManager | BanList> =>
  Effect.gen(function*() {
    const manager = yield* PeerManager
    const bans = yield* BanList
    const closeHost = (host: string) =>
      Effect.flatMap(manager.connections, (connections) =>
        Effect.forEach(
          connections.filter((c) => c.host === normalizeHost(host)),
          (c) => manager.disconnect(c.nodeId),
          { discard: true, concurrency: "unbounded" }
        ))
    const control: NodeControlShape = {
      connections: Effect.map(manager.connections, (cs) => cs.map((c) => toRpcConnection(c, options.traffic))),
      openConnection: (host, port) =>
        manager.connect({ host, port }, "manual").pipe(
          Effect.mapError((e) => new NodeControlError({ message: e.message })),
          Effect.asVoid
        ),
      closeConnection: (nodeIdHex) => manager.disconnect(nodeIdHex.toLowerCase()),
      stop: Effect.asVoid(Deferred.succeed(options.stopSignal, undefined)),
      networkName: options.networkName,
      networkPrefix: networkPrefixFor(options.networkName),
      version: options.version,
      bans: bans.list,
      // A ban also ends the host's current connections, so that it takes effect at once.
      ban: (host, seconds, reason) =>
        Effect.tap(bans.ban(host, seconds, reason), (banned) => (banned ? closeHost(host) : Effect.void)),
      unban: bans.unban
    }
    return control
  })

export const layer = (options: NodeControlOptions): Layer.Layer<NodeControl, never, PeerManager | BanList> =>
  Layer.effect(NodeControl, make(options))
