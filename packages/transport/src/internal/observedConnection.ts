/**
 * A connection that reports what passes through it (traffic counters, frame captures) and is otherwise the same
 * connection: every way of reading and sending is wrapped, so an observer sees the frames whichever one the consumer
 * uses.
 */
import { Effect, Stream } from "effect"
import type { Connection, ConnectionObserver } from "../Transport.js"

export const observeConnection = (connection: Connection, observer: ConnectionObserver): Connection => {
  const { ended, received, sent } = observer
  let endReported = false
  // Once, from whichever sign of the end comes first (a local close, `closed`, the end of reading).
  const end = (): void => {
    if (endReported) return
    endReported = true
    ended?.()
  }
  const endEffect = Effect.sync(end)
  const take = connection.takeFrames
  return {
    id: connection.id,
    direction: connection.direction,
    local: connection.local,
    remote: connection.remote,
    peerCertificate: connection.peerCertificate,
    peerId: connection.peerId,
    send: sent === undefined ? connection.send : (frame) => Effect.tap(connection.send(frame), () => sent(frame)),
    unsafeOffer: (frame) => {
      // The transport never changes a frame it takes over.
      const accepted = connection.unsafeOffer(frame)
      if (accepted) sent?.(frame)
      return accepted
    },
    frames: connection.frames.pipe(
      Stream.tap((frame) => Effect.sync(() => received?.(frame))),
      Stream.ensuring(endEffect)
    ),
    takeFrames: take === undefined ? undefined : Effect.tap(take, (frames) => {
      if (frames.length === 0) return end()
      if (received !== undefined) for (const frame of frames) received(frame)
    }),
    deliverTo: (consumer) =>
      connection.deliverTo({
        onFrame: (frame) => {
          received?.(frame)
          return consumer.onFrame(frame)
        },
        onEnd: (error) => {
          end()
          consumer.onEnd(error)
        }
      }),
    close: (code, reason) => Effect.zipRight(connection.close(code, reason), endEffect),
    closed: Effect.tap(connection.closed, () => endEffect),
    ping: connection.ping
  }
}
