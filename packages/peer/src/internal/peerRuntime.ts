/**
 * The peer core. Inbound frames are pushed by the transport and handled synchronously, in order, inside its socket
 * event: decoded, charged to the inbound rate limiter, matched to pending requests, or dispatched (`dispatch.ts`:
 * admitted, decoded, published, answered on the spot or queued on the handler pool). Whatever must wait runs in the
 * slow lane with delivery paused (`lane.ts`). Request and handler deadlines share one timer fiber; heartbeat and idle
 * fibers watch liveness. All fibers are supervised by the peer's Scope; `shutdown` is the single place where the peer
 * ends, records why, and closes the connection with the verdict.
 */
import { Deferred, Duration, Effect, Exit, FiberSet, Option, Runtime } from "effect"
import type { Scope } from "effect"
import type { Connection, FrameDelivery, TransportError } from "@peerwire/transport"
import type { Handler, Handlers, Peer, RequestOptions } from "../Peer.js"
import type { PeerConfig } from "../PeerConfig.js"
import type { PeerClosed, PeerError } from "../PeerError.js"
import type { Envelope, MessageMap, NameOf, ProtocolFamily, ReplyMap, Session } from "../ProtocolFamily.js"
import { makeDeadlines } from "./deadlines.js"
import { type AnyHandler, makeDispatch, type Rest } from "./dispatch.js"
import { makeErrors } from "./errors.js"
import type { FrameReader } from "./frameReader.js"
import { makeHandlerPool } from "./handlerPool.js"
import { makeLane } from "./lane.js"
import { heartbeat } from "./liveness.js"
import { makeNotifications } from "./notifications.js"
import { makeOutbound } from "./outbound.js"
import { makePendingRequests, type PendingRequest } from "./pendingRequests.js"
import { makeRateLimiter } from "./rateLimiter.js"
import { judgeReply, type Reply } from "./replies.js"
import { makeRequestIds } from "./requestIds.js"

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

    const handlers = new Map<number, AnyHandler>()
    for (const [name, handler] of Object.entries(options.handlers ?? {})) {
      if (handler !== undefined) handlers.set(typeOf(name), handler as AnyHandler)
    }
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
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    // Fibers started from synchronous code (the push reader, timers): supervised by the peer's FiberSets.
    const forkWorker = (effect: Effect.Effect<void>) => {
      const fiber = runFork(effect)
      FiberSet.unsafeAdd(workers, fiber)
      return fiber
    }
    const deadlines = makeDeadlines(now, forkWorker)
    const timeoutError = (name: string, timeoutMillis: number) =>
      errors.make("Timeout", `no reply to ${name} within ${timeoutMillis} ms`, name)
    const pending = makePendingRequests(makeRequestIds(family.idRange(session.role)), deadlines, now, (expired) => {
      pending.expire(expired, lateWindowMillis)
      expired.complete(Exit.fail(timeoutError(expired.name, expired.timeoutMillis)))
    })
    const pool = makeHandlerPool({
      concurrency: config.handlerConcurrency,
      queueSize: config.dispatchQueueSize,
      fork: (worker) => FiberSet.unsafeAdd(handlerFibers, runFork(worker))
    })

    const outbound = makeOutbound({
      connection,
      family,
      session,
      config,
      errors,
      now,
      isClosing: () => closing,
      bypass,
      fork: forkWorker
    })

    // ---- ending -------------------------------------------------------------------------------------------------

    const shutdown = (closed: PeerClosed): Effect.Effect<void> =>
      Effect.uninterruptible(
        Effect.suspend(() => {
          if (closing) return Effect.void
          closing = true
          const failure = Exit.fail(errors.closed(closed))
          for (const entry of pending.drain()) entry.complete(failure)
          notifications.end()
          pool.close()
          outbound.close()
          // Stop every worker and handler, from a fiber that is none of them (this may run in one).
          runFork(Effect.zipRight(FiberSet.clear(handlerFibers), FiberSet.clear(workers)))
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

    // Runs before the fibers' own finalizers (finalizers run in reverse order): the scope's end is a local close.
    yield* Effect.addFinalizer(() => shutdown(LOCAL_CLOSE))


    // ---- requests -----------------------------------------------------------------------------------------------

    // Opens the request, sends it and waits for its reply; `resume` continues the requesting fiber. Everything up to
    // the wait is synchronous when the frame goes out at once.
    const exchange = (
      type: number,
      name: string,
      payload: unknown,
      timeoutMillis: number,
      deadline: number,
      resume: (effect: Effect.Effect<Reply, PeerError>) => void
    ): void => {
      const entry = pending.open(type, name, timeoutMillis, deadline)
      if (entry === undefined) {
        const error = errors.make("NoFreeRequestId", `every request id is busy (sending ${name})`, name)
        return resume(Effect.zipRight(violate(error), Effect.fail(error)))
      }
      const sending = outbound.sendNow(type, entry.id, payload, name, deadline)
      if (sending === undefined) return entry.wait(resume)
      resume(Effect.matchCauseEffect(sending, {
        onFailure: (cause) => {
          pending.abandon(entry)
          return Effect.failCause(cause)
        },
        onSuccess: () => entry.await
      }))
    }

    const request = (
      name: string,
      payload: unknown,
      requestOptions?: RequestOptions
    ): Effect.Effect<Reply, PeerError> =>
      // One `Effect.async` for the whole request: it sends from its register function and waits there.
      Effect.async<Reply, PeerError>((resume) => {
        if (closing) return resume(Effect.fail(errors.closedNow(name)))
        const type = typeOf(name)
        const timeoutMillis = requestOptions?.timeout === undefined
          ? defaultTimeoutMillis
          : Duration.toMillis(requestOptions.timeout)
        const deadline = now() + timeoutMillis
        const window = outbound.window(type)
        if (window === undefined) return exchange(type, name, payload, timeoutMillis, deadline, resume)
        // The window slot is held until the request ends (reply, error or timeout), as the reference's in_flight.
        const exchanged = Effect.async<Reply, PeerError>((inner) =>
          exchange(type, name, payload, timeoutMillis, deadline, inner)
        )
        resume(window.take(timeoutMillis, () => timeoutError(name, timeoutMillis)).pipe(
          Effect.zipRight(Effect.ensuring(exchanged, Effect.sync(window.release)))
        ))
      })
    const defaultTimeoutMillis = Duration.toMillis(config.requestTimeout)

    // Completes the pending request `entry` with `envelope`; returns a violation when the reply breaks the protocol.
    const resolve = (entry: PendingRequest, envelope: Envelope): PeerError | undefined => {
      const judged = judgeReply(family, errors, entry.type, envelope)
      if (judged._tag !== "Violation") {
        entry.complete(judged)
        return undefined
      }
      entry.complete(Exit.fail(judged.error))
      return judged.error
    }

    // ---- handlers -----------------------------------------------------------------------------------------------

    const { dispatch } = makeDispatch({
      connection,
      family,
      session,
      config,
      errors,
      handlers,
      notifications,
      outbound,
      pool,
      deadlines,
      now,
      typeOf,
      violate,
      remoteEnded
    })

    // ---- reader -------------------------------------------------------------------------------------------------

    // Handles one frame synchronously; returns what is left to do, if anything.
    const handleFrame = (frame: Uint8Array): Rest => {
      const at = now()
      lastMessageAt = at
      const decoded = family.decodeEnvelope(frame)
      if (decoded._tag === "Left") return violate(errors.make("MalformedMessage", decoded.left))
      const envelope = decoded.right
      if (inbound !== undefined && !bypass(envelope.type) && !inbound.check(envelope.type, envelope.data.length, at)) {
        const name = family.nameOf(envelope.type)
        return violate(errors.make("RateLimited", `inbound rate limit exceeded by ${name}`, name))
      }
      const id = envelope.id
      if (id !== undefined) {
        const entry = pending.take(id)
        if (entry !== undefined) {
          const violation = resolve(entry, envelope)
          return violation === undefined ? undefined : violate(violation)
        }
        // A late reply to a request that timed out: dropped, as the reference does since 2.7.1.
        if (pending.isLate(id)) return undefined
      }
      return dispatch(envelope)
    }

    let delivery: FrameDelivery | undefined
    const lane = makeLane(() => delivery?.resume(), forkWorker)
    // The push consumer: a frame is done here unless something is left, which pauses delivery until the lane ran it.
    // Once the peer is closing, frames are dropped (the transport still reads up to the close frame).
    const onFrame = (frame: Uint8Array): boolean => {
      if (closing) return true
      const rest = handleFrame(frame)
      return rest === undefined ? true : lane.run(rest)
    }
    const onEnd = (error: TransportError | undefined): void => {
      lane.run(remoteEnded(Option.fromNullable(error)))
    }
    // Frames the handshake's reader took but did not read come first, then push delivery takes over.
    const start = Effect.gen(function*() {
      for (const frame of reader.rest()) {
        if (closing) return
        const rest = handleFrame(frame)
        if (rest !== undefined) yield* rest
      }
      if (!closing) delivery = yield* connection.deliverTo({ onFrame, onEnd })
    })

    yield* FiberSet.run(workers, start)
    if (config.heartbeat !== undefined) {
      yield* FiberSet.run(
        workers,
        heartbeat(connection, config.heartbeat, (cause) =>
          violate(errors.make("HeartbeatTimeout", "no pong in time", undefined, { cause })))
      )
    }
    if (config.idleTimeout !== undefined) {
      // The idle close is one more deadline: at its time, either a message came since (look again from it) or not.
      const idleMillis = Duration.toMillis(config.idleTimeout)
      const watchIdle = (): void => {
        if (closing) return
        const due = lastMessageAt + idleMillis
        if (due > now()) deadlines.add(due, watchIdle)
        else lane.run(violate(errors.make("IdleTimeout", `no message for ${idleMillis} ms`)))
      }
      deadlines.add(lastMessageAt + idleMillis, watchIdle)
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
