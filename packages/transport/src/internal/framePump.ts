/**
 * Push delivery on top of a pull read, for connections whose frames come from an Effect (the in-memory transport,
 * wrappers): one fiber takes batches and hands each frame to the consumer, and waits for `resume` when it pauses.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import type { FrameConsumer, FrameDelivery, TransportError } from "../Transport.js"

export const deliverByPull = (
  take: Effect.Effect<ReadonlyArray<Uint8Array>, TransportError>,
  consumer: FrameConsumer,
  /** The consumer threw (it gets nothing more); the connection should close. */
  onConsumerFailure: (cause: unknown) => Effect.Effect<void>
): Effect.Effect<FrameDelivery, never, Scope.Scope> =>
  Effect.suspend(() => {
    let paused = false
    // Set while `onFrame` runs; a `resume` then cancels the pause it may be about to ask for.
    let handing = false
    let resumedWhileHanding = false
    let wake: (() => void) | undefined
    const resumed = Effect.async<void>((resume) => {
      if (!paused) return resume(Effect.void)
      wake = () => resume(Effect.void)
    })
    const end = (error: TransportError | undefined) =>
      Effect.sync(() => {
        try {
          consumer.onEnd(error)
        } catch {
          // Nothing is left to report to once the connection has ended.
        }
      })
    // One batch: true to read on, false once the consumer threw.
    const hand = (batch: ReadonlyArray<Uint8Array>): Effect.Effect<boolean> => {
      let index = 0
      const step: Effect.Effect<boolean> = Effect.suspend(() => {
        while (index < batch.length) {
          let accepted: boolean
          handing = true
          resumedWhileHanding = false
          try {
            accepted = consumer.onFrame(batch[index++]!)
          } catch (cause) {
            return Effect.as(onConsumerFailure(cause), false)
          } finally {
            handing = false
          }
          if (!accepted && !resumedWhileHanding) {
            paused = true
            return Effect.zipRight(resumed, step)
          }
        }
        return Effect.succeed(true)
      })
      return step
    }
    const loop: Effect.Effect<void> = Effect.matchEffect(take, {
      onFailure: (error) => end(error),
      onSuccess: (batch) =>
        batch.length === 0 ? end(undefined) : Effect.flatMap(hand(batch), (more) => (more ? loop : Effect.void))
    })
    const delivery: FrameDelivery = {
      resume: () => {
        if (handing) resumedWhileHanding = true
        if (!paused) return
        paused = false
        const next = wake
        wake = undefined
        next?.()
      }
    }
    return Effect.as(Effect.forkScoped(loop), delivery)
  })
