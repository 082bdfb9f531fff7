/**
 * Inbound dispatch: a message that is not a reply is admitted, decoded and published, then answered or handed to its
 * handler, synchronously from the reader (`handleFrame`), which gets back only what is left to do.
 *
 * A handler that answered with a completed effect (`Effect.succeed(reply)`) needs no fiber: its reply goes out from
 * the reader's stack, and only what has to wait for it (transport, rate limit) goes to the pool. Other handlers run
 * in the handler pool (bounded concurrency), interrupted at the handler deadline.
 */
import { Duration, Effect, Exit, FiberId, Option } from "effect"
import type { Cause } from "effect"
import type { Connection, TransportError } from "@peerwire/transport"
import type { HandlerContext } from "../Peer.js"
import type { PeerConfig } from "../PeerConfig.js"
import { PeerError } from "../PeerError.js"
import type { Envelope, MessageMap, ProtocolFamily, Session } from "../ProtocolFamily.js"
import type { Deadlines } from "./deadlines.js"
import type { Errors } from "./errors.js"
import type { HandlerPool } from "./handlerPool.js"
import type { Notifications } from "./notifications.js"
import type { Outbound } from "./outbound.js"
import type { Reply } from "./replies.js"

export type AnyHandler = (payload: unknown, context: HandlerContext) => Effect.Effect<unknown, PeerError>

/** What is left of handling a frame: nothing (`undefined`, done), or an Effect that finishes it. */
export type Rest = Effect.Effect<void> | undefined

export const andThen = (first: Rest, second: Rest): Rest =>
  first === undefined ? second : second === undefined ? first : Effect.zipRight(first, second)

export interface Dispatch {
  /** Admits, decodes and publishes one non-reply message, then answers it or queues its handler. */
  readonly dispatch: (envelope: Envelope) => Rest
}

export const makeDispatch = <M extends MessageMap, Info>(options: {
  readonly connection: Connection
  readonly family: ProtocolFamily<M>
  readonly session: Session<Info>
  readonly config: PeerConfig
  readonly errors: Errors
  /** Handlers by message type; the peer adds to it (`handle`). */
  readonly handlers: Map<number, AnyHandler>
  readonly notifications: Notifications
  readonly outbound: Outbound
  readonly pool: HandlerPool
  readonly deadlines: Deadlines
  readonly now: () => number
  readonly typeOf: (name: string) => number
  /** Ends the peer with the error's verdict. */
  readonly violate: (error: PeerError) => Effect.Effect<void>
  /** Ends the peer after the connection ended. */
  readonly remoteEnded: (failure: Option.Option<TransportError>) => Effect.Effect<void>
}): Dispatch => {
  const {
    config,
    connection,
    deadlines,
    errors,
    family,
    handlers,
    notifications,
    now,
    outbound,
    pool,
    remoteEnded,
    session,
    typeOf,
    violate
  } = options
  const handlerTimeoutMillis = Duration.toMillis(config.handlerTimeout)
  // Inbound requests of each type being handled (v3 receive windows).
  const inFlight = new Map<number, number>()

  // A failed reply only matters when it carries a verdict (an encoding bug does; a closed connection does not).
  const replyFailed = (error: PeerError): Effect.Effect<void> =>
    error.closeCode === undefined ? Effect.void : violate(error)

  // Sends a handler's answer now if it can; what is left may wait (transport, rate limit).
  const replyNow = (result: unknown, id: number | undefined): Rest => {
    const reply = result as Reply | undefined
    if (reply === undefined || reply === null) return undefined
    const sending = outbound.sendNow(typeOf(reply.name), id, reply.payload, reply.name)
    return sending === undefined ? undefined : Effect.catchAll(sending, replyFailed)
  }

  const handlerFailed = (cause: Cause.Cause<PeerError>, name: string): Effect.Effect<void> => {
    const failure = cause._tag === "Fail" ? cause.error : undefined
    if (failure instanceof PeerError && failure.closeCode !== undefined) return violate(failure)
    if (cause._tag === "Interrupt") return Effect.void
    return violate(errors.make("HandlerFailed", `handler of ${name} failed`, name, { cause }))
  }

  // Runs a handler's effect in a pool worker, interrupted at the handler deadline.
  const runHandler = (effect: Effect.Effect<unknown, PeerError>, id: number | undefined, name: string) =>
    Effect.withFiberRuntime<void>((fiber) => {
      let expired = false
      const timer = deadlines.add(now() + handlerTimeoutMillis, () => {
        expired = true
        fiber.unsafeInterruptAsFork(FiberId.none)
      })
      return effect.pipe(
        // Finalizers still run when the timer interrupts this fiber (handlers of an interrupted fiber do not).
        Effect.ensuring(Effect.suspend(() => {
          deadlines.remove(timer)
          return expired ? Effect.logWarning(`handler of ${name} timed out; nothing sent`) : Effect.void
        })),
        Effect.matchCauseEffect({
          onSuccess: (result) => replyNow(result, id) ?? Effect.void,
          onFailure: (cause) => handlerFailed(cause, name)
        })
      )
    })

  // A wait for room in the handler queue also ends when the connection does: handlers may hold it for up to their
  // timeout, delivery is paused meanwhile (so the transport's end would not reach `onEnd`), and the peer ends then.
  // What was queued behind is dropped: its replies could not be sent. (A wait for a subscriber's mailbox is not cut
  // short: its messages are kept.)
  const submitWaiting = (job: Effect.Effect<void>): Effect.Effect<void> =>
    Effect.raceFirst(pool.submit(job), Effect.flatMap(connection.closed, () => remoteEnded(Option.none())))

  // Queues a job on the pool now, or leaves the wait for a free slot to the lane.
  const submit = (job: Effect.Effect<void>): Rest => (pool.trySubmit(job) ? undefined : submitWaiting(job))

  const dispatch = (envelope: Envelope): Rest => {
    const type = envelope.type
    if (family.errorReply !== undefined && type === family.errorReply.type) {
      return Effect.logWarning("unsolicited error message from peer ignored")
    }
    const rejected = session.admit(type)
    if (rejected !== undefined) return violate(rejected)
    const name = family.nameOf(type) ?? String(type)
    const decoded = family.decodePayload(type, envelope.data)
    if (decoded._tag === "Left") return violate(errors.make("MalformedPayload", `${name}: ${decoded.left}`, name))
    const payload = decoded.right
    const handler = handlers.get(type)
    if (handler === undefined) {
      return config.unhandled === "reject"
        ? violate(errors.make("UnhandledMessage", `no handler for ${name}`, name))
        : notifications.publishNow(type, payload)
    }
    const window = session.windows.inbound.get(type)
    const active = inFlight.get(type) ?? 0
    if (window !== undefined && window > 0 && active >= window) {
      return violate(errors.make("WindowExceeded", `more than ${window} ${name} in flight`, name))
    }
    let effect: Effect.Effect<unknown, PeerError>
    try {
      effect = handler(payload, { id: envelope.id, name })
    } catch (cause) {
      return andThen(
        notifications.publishNow(type, payload),
        violate(errors.make("HandlerFailed", `handler of ${name} threw`, name, { cause }))
      )
    }
    const published = notifications.publishNow(type, payload)
    // The synchronous fast path (see the module comment): no fiber for a completed effect.
    if (Exit.isExit(effect)) {
      const exit = effect as Exit.Exit<unknown, PeerError>
      if (Exit.isFailure(exit)) return andThen(published, handlerFailed(exit.cause, name))
      const waiting = replyNow(exit.value, envelope.id)
      if (waiting === undefined) return published
      return published === undefined ? submit(waiting) : Effect.zipRight(published, submitWaiting(waiting))
    }
    inFlight.set(type, active + 1)
    const done = Effect.sync(() => inFlight.set(type, (inFlight.get(type) ?? 1) - 1))
    const job = Effect.ensuring(runHandler(effect, envelope.id, name), done)
    if (published === undefined) return submit(job)
    return published.pipe(Effect.zipRight(submitWaiting(job)), Effect.onInterrupt(() => done))
  }

  return { dispatch }
}
