/**
 * Liveness fibers: the dialer's heartbeat (a transport ping every `interval`, lost when no pong within `timeout`) and
 * the idle close (no message for `timeout`). Both end by calling back with what happened.
 */
import { Duration, Effect } from "effect"
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

export const idleWatch = (
  timeout: Duration.DurationInput,
  lastMessageAt: () => number,
  now: () => number,
  onIdle: (millis: number) => Effect.Effect<void>
): Effect.Effect<void> => {
  const millis = Duration.toMillis(timeout)
  // Sleeps exactly until the idle deadline of the last message, then looks again.
  const loop: Effect.Effect<void> = Effect.suspend(() => {
    const remaining = lastMessageAt() + millis - now()
    return remaining <= 0 ? onIdle(millis) : Effect.zipRight(Effect.sleep(remaining), loop)
  })
  return loop
}
