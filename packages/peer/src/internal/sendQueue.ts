/**
 * Keeps outbound frames in the order they were sent. A frame goes out at once (`unsafeOffer`) only when nothing waits
 * in front of it; otherwise it joins a queue that one fiber hands to the transport's `send` (which waits while the
 * socket is full), so the remote sees frames in the order the peer sent them, as the reference's outgoing queue does.
 * Concurrent `send` calls alone would not: a new caller may overtake one woken for the free room.
 */
import { Effect, Exit } from "effect"
import type { Connection, TransportError } from "@peerwire/transport"

class Queued {
  private result: Exit.Exit<void, TransportError> | undefined = undefined
  private resume: ((exit: Exit.Exit<void, TransportError>) => void) | undefined = undefined

  constructor(readonly frame: Uint8Array) {}

  complete(exit: Exit.Exit<void, TransportError>): void {
    if (this.result !== undefined) return
    this.result = exit
    this.resume?.(exit)
    this.resume = undefined
  }

  readonly sent: Effect.Effect<void, TransportError> = Effect.async((resume) => {
    if (this.result !== undefined) resume(this.result)
    else this.resume = resume
  })
}

export interface SendQueue {
  /** `undefined` once `frame` is written; otherwise waits until it is handed to the transport, in order. */
  readonly offer: (frame: Uint8Array) => Effect.Effect<void, TransportError> | undefined
  /** Fails every queued frame with `error` (the peer has ended). */
  readonly close: (error: TransportError) => void
}

export const makeSendQueue = (
  connection: Connection,
  /** Starts the queue's fiber, supervised by the peer. */
  fork: (effect: Effect.Effect<void>) => void
): SendQueue => {
  const queue: Array<Queued> = []
  let running = false
  let closedWith: TransportError | undefined

  const failAll = (error: TransportError): void => {
    const failed = Exit.fail(error)
    for (const item of queue.splice(0)) item.complete(failed)
  }

  const drain: Effect.Effect<void> = Effect.suspend(() => {
    const item = queue[0]
    if (item === undefined) {
      running = false
      return Effect.void
    }
    return Effect.matchEffect(connection.send(item.frame), {
      onFailure: (error) => {
        running = false
        failAll(error)
        return Effect.void
      },
      onSuccess: () => {
        queue.shift()
        item.complete(Exit.void)
        return drain
      }
    })
  })

  return {
    offer: (frame) => {
      if (closedWith !== undefined) return Effect.fail(closedWith)
      if (queue.length === 0 && connection.unsafeOffer(frame)) return undefined
      const item = new Queued(frame)
      queue.push(item)
      if (!running) {
        running = true
        fork(drain)
      }
      return item.sent
    },
    close: (error) => {
      closedWith = error
      failAll(error)
    }
  }
}
