/**
 * The peer core. One reader fiber takes frames in order: it decodes them, charges the inbound rate limiter, completes
 * pending requests, and admits, decodes and publishes everything else before queueing its handler on the handler pool
 * (bounded concurrency); request and handler deadlines share one timer fiber; heartbeat and idle fibers watch liveness.
 * All of them are supervised by the peer's Scope; `shutdown` is the single place where the peer ends, records why, and
 * closes the connection with the verdict.
 */
import { Deferred, Duration, Effect, Exit, FiberId, FiberSet, Option } from "effect"
import type { Cause } from "effect"
import type { Scope } from "effect"
import type { Connection, TransportError } from "@peerwire/transport"
import type { Handler, HandlerContext, Handlers, Peer, RequestOptions } from "../Peer.js"
import type { PeerConfig } from "../PeerConfig.js"
import { type PeerClosed, PeerError } from "../PeerError.js"
import type { Envelope, MessageMap, NameOf, ProtocolFamily, ReplyMap, Session } from "../ProtocolFamily.js"
import { makeDeadlines } from "./deadlines.js"
import { makeErrors } from "./errors.js"
import type { FrameReader } from "./frameReader.js"
import { makeHandlerPool } from "./handlerPool.js"
import { heartbeat, idleWatch } from "./liveness.js"
import { makeNotifications } from "./notifications.js"
import { makeOutbound } from "./outbound.js"
import { makeRateLimiter } from "./rateLimiter.js"
import { judgeReply, type Reply } from "./replies.js"
import { makeRequestIds } from "./requestIds.js"

interface Pending {
  readonly type: number
  readonly deferred: Deferred.Deferred<Reply, PeerError>
}

type AnyHandler = (payload: unknown, context: HandlerContext) => Effect.Effect<unknown, PeerError>

const LOCAL_CLOSE: PeerClosed = { initiator: "local", code: 1000, reason: "", banSeconds: 0, error: Option.none() }

export const makePeerRuntime = <M extends MessageMap, R extends ReplyMap<M>, Info>(options: {
  readonly connection: Connection
  readonly reader: FrameReader
  readonly family: ProtocolFamily<M>
  readonly session: Session<Info>
  readonly config: PeerConfig
  readonly handlers?: Handlers<M, R> | undefined
}): Effect.Effect<Peer<M, R, Info>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { config, connection, family, reader, session } = options
    const clock = yield* Effect.clock
    const now = (): number => clock.unsafeCurrentTimeMillis()
    const typeOf = (name: string): number => family.typeOf(name as NameOf<M>)
    const errors = makeErrors(family)
    const lateWindowMillis = Duration.toMillis(config.lateResponseWindow)
    const handlerTimeoutMillis = Duration.toMillis(config.handlerTimeout)

    const pending = new Map<number, Pending>()
    // Timed-out ids → until when they stay reserved.
    const timedOut = new Map<number, number>()
    const ids = makeRequestIds(family.idRange(session.role))
    const handlers = new Map<number, AnyHandler>()
    for (const [name, handler] of Object.entries(options.handlers ?? {})) {
      if (handler !== undefined) handlers.set(typeOf(name), handler as AnyHandler)
    }
    // Inbound requests of each type being handled (v3 receive windows).
    const inFlight = new Map<number, number>()
    const notifications = makeNotifications({ buffer: config.notificationBuffer, replay: config.notificationReplay })
    const bypass = (type: number): boolean => session.windows.inbound.has(type) || session.windows.outbound.has(type)
    const inbound = config.exemptFromRateLimits || session.inboundLimits === undefined
      ? undefined
      : makeRateLimiter(session.inboundLimits, "inbound")
    let lastMessageAt = now()
    for (const { size, type } of session.consumed) inbound?.check(type, size, lastMessageAt)

    const closedDeferred = yield* Deferred.make<PeerClosed>()
    let closing = false
    const workers = yield* FiberSet.make()
    const handlerFibers = yield* FiberSet.make()
    const deadlines = yield* makeDeadlines(now)
    const pool = yield* makeHandlerPool({
      concurrency: config.handlerConcurrency,
      queueSize: config.dispatchQueueSize,
      fibers: handlerFibers
    })

    // ---- ending -------------------------------------------------------------------------------------------------

    const shutdown = (closed: PeerClosed): Effect.Effect<void> =>
      Effect.uninterruptible(
        Effect.suspend(() => {
          if (closing) return Effect.void
          closing = true
          const failure = errors.closed(closed)
          for (const entry of pending.values()) Deferred.unsafeDone(entry.deferred, Exit.fail(failure))
          pending.clear()
          notifications.end()
          return Deferred.succeed(closedDeferred, closed).pipe(
            Effect.zipRight(closed.initiator === "local" ? connection.close(closed.code, closed.reason) : Effect.void)
          )
        })
      )

    const violate = (error: PeerError): Effect.Effect<void> =>
      shutdown({
        initiator: "local",
        code: error.closeCode ?? 1000,
        reason: error.closeReason,
        banSeconds: error.banSeconds,
        error: Option.some(error)
      })

    // After any shutdown, stop every worker and handler (from a fiber that is not one of them).
    yield* Effect.forkScoped(
      Deferred.await(closedDeferred).pipe(
        Effect.zipRight(FiberSet.clear(handlerFibers)),
        Effect.zipRight(FiberSet.clear(workers))
      )
    )
    // Runs before the fibers' own finalizers (finalizers run in reverse order): the scope's end is a local close.
    yield* Effect.addFinalizer(() => shutdown(LOCAL_CLOSE))

    const outbound = makeOutbound({
      connection,
      family,
      session,
      config,
      errors,
      now,
      isClosing: () => closing,
      bypass
    })

    // ---- requests -----------------------------------------------------------------------------------------------

    const isBusy = (id: number): boolean => {
      if (pending.has(id)) return true
      const until = timedOut.get(id)
      if (until === undefined) return false
      if (until > now()) return true
      timedOut.delete(id)
      return false
    }

    const timeoutError = (name: string, timeoutMillis: number) =>
      errors.make("Timeout", `no reply to ${name} within ${timeoutMillis} ms`, name)

    const exchange = (type: number, name: string, payload: unknown, timeoutMillis: number, deadline: number) =>
      Effect.suspend(() => {
        const id = ids.allocate(isBusy)
        if (id === undefined) {
          const error = errors.make("NoFreeRequestId", `every request id is busy (sending ${name})`, name)
          return Effect.zipRight(violate(error), Effect.fail(error))
        }
        const deferred = Deferred.unsafeMake<Reply, PeerError>(FiberId.none)
        pending.set(id, { type, deferred })
        const timer = deadlines.add(deadline, () => {
          Deferred.unsafeDone(deferred, Exit.fail(timeoutError(name, timeoutMillis)))
        })
        let sent = false
        return outbound.transmit(type, id, payload, name, deadline).pipe(
          Effect.zipRight(Effect.suspend(() => {
            sent = true
            return Deferred.await(deferred)
          })),
          Effect.ensuring(Effect.sync(() => {
            deadlines.remove(timer)
            if (pending.get(id)?.deferred !== deferred) return
            pending.delete(id)
            // Reserved so that a late reply is recognised and dropped rather than taken for a new request's.
            if (sent) timedOut.set(id, now() + lateWindowMillis)
          }))
        )
      })

    const request = (
      name: string,
      payload: unknown,
      requestOptions?: RequestOptions
    ): Effect.Effect<Reply, PeerError> =>
      Effect.suspend(() => {
        if (closing) return Effect.fail(errors.closedNow(name))
        const type = typeOf(name)
        const timeoutMillis = Duration.toMillis(requestOptions?.timeout ?? config.requestTimeout)
        const deadline = now() + timeoutMillis
        const window = outbound.window(type)
        if (window === undefined) return exchange(type, name, payload, timeoutMillis, deadline)
        // The window slot is held until the request ends (reply, error or timeout), as the reference's in_flight.
        return window.take(timeoutMillis, () => timeoutError(name, timeoutMillis)).pipe(
          Effect.zipRight(
            Effect.suspend(() => exchange(type, name, payload, timeoutMillis, deadline)).pipe(
              Effect.ensuring(Effect.sync(window.release))
            )
          )
        )
      })

    // Completes the pending request `entry` with `envelope`; returns a violation when the reply breaks the protocol.
    const resolve = (entry: Pending, envelope: Envelope): PeerError | undefined => {
      const judged = judgeReply(family, errors, entry.type, envelope)
      Deferred.unsafeDone(entry.deferred, judged.exit)
      return judged.violation
    }

    // ---- handlers -----------------------------------------------------------------------------------------------

    const sendReply = (result: unknown, id: number | undefined, wait: boolean): Effect.Effect<void> | undefined => {
      const reply = result as Reply | undefined
      if (reply === undefined || reply === null) return Effect.void
      const type = typeOf(reply.name)
      const sending = wait
        ? outbound.transmit(type, id, reply.payload, reply.name)
        : outbound.transmitNow(type, id, reply.payload, reply.name)
      return sending?.pipe(Effect.catchAll((error) => (error.closeCode === undefined ? Effect.void : violate(error))))
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
            onSuccess: (result) => sendReply(result, id, true) ?? Effect.void,
            onFailure: (cause) => handlerFailed(cause, name)
          })
        )
      })

    // Admits, decodes and publishes one non-reply message in frame order, then queues its handler.
    const dispatch = (envelope: Envelope): Effect.Effect<void> =>
      Effect.suspend(() => {
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
            : notifications.publish(type, payload)
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
          return Effect.zipRight(
            notifications.publish(type, payload),
            violate(errors.make("HandlerFailed", `handler of ${name} threw`, name, { cause }))
          )
        }
        const published = notifications.publish(type, payload)
        // Fast path: a handler that answered with a completed effect (`Effect.succeed(reply)`) needs no fiber; its
        // reply goes out from here unless the outbound rate limit makes it wait.
        if (Exit.isExit(effect)) {
          const exit = effect as Exit.Exit<unknown, PeerError>
          const reply = Exit.isSuccess(exit)
            ? sendReply(exit.value, envelope.id, false)
            : handlerFailed(exit.cause, name)
          if (reply !== undefined) return Effect.zipRight(published, reply)
        }
        inFlight.set(type, active + 1)
        const done = Effect.sync(() => inFlight.set(type, (inFlight.get(type) ?? 1) - 1))
        return published.pipe(
          Effect.zipRight(pool.submit(Effect.ensuring(runHandler(effect, envelope.id, name), done))),
          Effect.onInterrupt(() => done)
        )
      })

    // ---- reader -------------------------------------------------------------------------------------------------

    // Handles one frame synchronously; returns a violation, an envelope to dispatch, or undefined (consumed).
    const onFrame = (frame: Uint8Array): PeerError | Envelope | undefined => {
      const at = now()
      lastMessageAt = at
      const decoded = family.decodeEnvelope(frame)
      if (decoded._tag === "Left") return errors.make("MalformedMessage", decoded.left)
      const envelope = decoded.right
      if (inbound !== undefined && !bypass(envelope.type) && !inbound.check(envelope.type, envelope.data.length, at)) {
        const name = family.nameOf(envelope.type)
        return errors.make("RateLimited", `inbound rate limit exceeded by ${name}`, name)
      }
      const id = envelope.id
      if (id !== undefined) {
        const entry = pending.get(id)
        if (entry !== undefined) {
          pending.delete(id)
          return resolve(entry, envelope)
        }
        if (timedOut.has(id)) {
          // A late reply to a request that timed out: dropped, as the reference does since 2.7.1.
          timedOut.delete(id)
          return undefined
        }
      }
      return envelope
    }

    const remoteEnded = (failure: Option.Option<TransportError>) =>
      Effect.flatMap(connection.closed, (info) => {
        const error = Option.orElse(failure, () => info.error).pipe(Option.map(errors.fromTransport))
        return shutdown({
          initiator: info.initiator,
          code: info.code,
          reason: info.reason,
          banSeconds: Option.match(error, { onNone: () => 0, onSome: (e) => e.banSeconds }),
          error
        })
      })

    const readLoop: Effect.Effect<void> = Effect.gen(function*() {
      while (!closing) {
        const batch = yield* reader.nextBatch
        if (Option.isNone(batch)) break
        for (const frame of batch.value) {
          if (closing) return
          const outcome = onFrame(frame)
          if (outcome === undefined) continue
          if (outcome instanceof PeerError) return yield* violate(outcome)
          yield* dispatch(outcome)
        }
      }
      yield* remoteEnded(Option.none())
    }).pipe(Effect.catchAll((error) => remoteEnded(Option.some(error))))

    yield* FiberSet.run(workers, readLoop)
    if (config.heartbeat !== undefined) {
      yield* FiberSet.run(
        workers,
        heartbeat(connection, config.heartbeat, (cause) =>
          violate(errors.make("HeartbeatTimeout", "no pong in time", undefined, { cause })))
      )
    }
    if (config.idleTimeout !== undefined) {
      yield* FiberSet.run(
        workers,
        idleWatch(config.idleTimeout, () => lastMessageAt, now, (millis) =>
          violate(errors.make("IdleTimeout", `no message for ${millis} ms`)))
      )
    }

    const peer: Peer<MessageMap, ReplyMap<MessageMap>, Info> = {
      connection,
      role: session.role,
      info: session.info,
      request: (name, payload, requestOptions) => request(name, payload, requestOptions) as never,
      send: (name, payload) =>
        Effect.suspend(() =>
          closing
            ? Effect.fail(errors.closedNow(name))
            : outbound.transmit(typeOf(name), undefined, payload, name)
        ),
      handle: (name, handler: Handler<MessageMap, ReplyMap<MessageMap>, string>) =>
        Effect.sync(() => {
          handlers.set(typeOf(name), handler as AnyHandler)
        }),
      messages: (name) => notifications.subscribe(typeOf(name)),
      close: (error) => (error === undefined ? shutdown(LOCAL_CLOSE) : violate(error)),
      closed: Deferred.await(closedDeferred),
      isClosed: Effect.sync(() => closing)
    }
    return peer as unknown as Peer<M, R, Info>
  })
