/**
 * A pull-based reader over a connection's single-consumer frame stream, so the handshake can read exactly one frame
 * and the peer's reader loop can carry on from the next one, in order, with the transport's back-pressure intact.
 */
import { Chunk, Effect, Option, Stream } from "effect"
import type { Scope } from "effect"
import type { Connection, TransportError } from "@peerwire/transport"

export interface FrameReader {
  /** The next frame; `None` once the stream has ended (the connection closed cleanly). */
  readonly next: Effect.Effect<Option.Option<Uint8Array>, TransportError>
  /** Every frame already buffered, or else the next chunk; `None` at the end. */
  readonly nextBatch: Effect.Effect<Option.Option<ReadonlyArray<Uint8Array>>, TransportError>
}

const endOrFail = <E>(error: Option.Option<E>): Effect.Effect<Option.Option<never>, E> =>
  Option.match(error, { onNone: () => Effect.succeed(Option.none()), onSome: (e) => Effect.fail(e) })

export const makeFrameReader = (connection: Connection): Effect.Effect<FrameReader, never, Scope.Scope> =>
  Effect.map(Stream.toPull(connection.frames), (pull) => {
    let buffer: ReadonlyArray<Uint8Array> = []
    let index = 0
    let ended = false
    const fill: Effect.Effect<boolean, TransportError> = Effect.suspend(() =>
      ended
        ? Effect.succeed(false)
        : pull.pipe(
          Effect.map((chunk) => {
            buffer = Chunk.toReadonlyArray(chunk)
            index = 0
            return true
          }),
          Effect.catchAll((error) => {
            ended = true
            return Effect.as(endOrFail(error), false)
          })
        )
    )
    const next: FrameReader["next"] = Effect.suspend(function loop(): Effect.Effect<
      Option.Option<Uint8Array>,
      TransportError
    > {
      if (index < buffer.length) return Effect.succeed(Option.some(buffer[index++]!))
      return Effect.flatMap(fill, (more) => (more ? loop() : Effect.succeed(Option.none())))
    })
    const nextBatch: FrameReader["nextBatch"] = Effect.suspend(function loop(): Effect.Effect<
      Option.Option<ReadonlyArray<Uint8Array>>,
      TransportError
    > {
      if (index < buffer.length) {
        const batch = index === 0 ? buffer : buffer.slice(index)
        index = buffer.length
        return Effect.succeed(Option.some(batch))
      }
      return Effect.flatMap(fill, (more) => (more ? loop() : Effect.succeed(Option.none())))
    })
    return { next, nextBatch }
  })
