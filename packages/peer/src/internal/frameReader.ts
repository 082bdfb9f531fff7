/**
 * A pull-based reader over a connection's single-consumer inbound frames, so the handshake can read exactly one frame
 * and the peer can carry on from the next one (`rest`, then push delivery), in order.
 * It reads batch by batch through `frameBatches` (the transport's `takeFrames` fast path where there is one).
 */
import { Effect, Option } from "effect"
import type { Scope } from "effect"
import { type Connection, frameBatches, type TransportError } from "@peerwire/transport"

export interface FrameReader {
  /** The next frame; `None` once the stream has ended (the connection closed cleanly). */
  readonly next: Effect.Effect<Option.Option<Uint8Array>, TransportError>
  /**
   * Hands over the frames this reader took from the connection but nobody read yet, and stops reading: whoever
   * reads the connection next (push delivery) starts after them.
   */
  readonly rest: () => ReadonlyArray<Uint8Array>
}

export const makeFrameReader = (connection: Connection): Effect.Effect<FrameReader, never, Scope.Scope> =>
  Effect.map(frameBatches(connection), (take) => {
    let buffer: ReadonlyArray<Uint8Array> = []
    let index = 0
    let ended = false
    // One read: true with a fresh non-empty buffer, false at a clean end; a failure ends the reader for good.
    const fill: Effect.Effect<boolean, TransportError> = Effect.suspend(() =>
      ended
        ? Effect.succeed(false)
        : take.pipe(
          Effect.map((batch) => {
            if (batch.length === 0) {
              ended = true
              return false
            }
            buffer = batch
            index = 0
            return true
          }),
          Effect.tapError(() =>
            Effect.sync(() => {
              ended = true
            })
          )
        )
    )
    const next: FrameReader["next"] = Effect.suspend(function loop(): Effect.Effect<
      Option.Option<Uint8Array>,
      TransportError
    > {
      if (index < buffer.length) return Effect.succeed(Option.some(buffer[index++]!))
      return Effect.flatMap(fill, (more) => (more ? loop() : Effect.succeed(Option.none())))
    })
    const rest = (): ReadonlyArray<Uint8Array> => {
      const left = buffer.slice(index)
      buffer = []
      index = 0
      ended = true
      return left
    }
    return { next, rest }
  })
