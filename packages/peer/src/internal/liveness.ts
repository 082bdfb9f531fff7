/**
 * The dialer's heartbeat: a transport ping every `interval`, lost when no pong comes within `timeout`; it ends by
 * calling back with what happened. (The idle close is a deadline of the peer's timer, see `peerRuntime`.)
 */
import { Effect } from "effect"
import type { Connection, TransportError } from "@peerwire/transport"
import type { HeartbeatConfig } from "../PeerConfig.js"

export const heartbeat = (
  connection: Connection,
  settings: HeartbeatConfig,
  onLost: (cause: TransportError) => Effect.Effect<void>
): Effect.Effect<void> =>
  Effect.forever(Effect.zipRight(Effect.sleep(settings.interval), connection.ping(settings.timeout))).pipe(
    Effect.catchAll(onLost)
  )
