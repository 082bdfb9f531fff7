/**
 * The outbound path: encode straight into a frame, pass the outbound rate limiter (waiting and retrying while over the
 * limit, or dropping the types the family drops), then hand the frame to the transport (which back-pressures).
 * Requests of types with a negotiated window also hold one of the window's permits for their whole life.
 *
 * Synchronous first: a frame within the limits goes out with the transport's `unsafeOffer` from the caller's stack
 * (no Effect at all); only what must wait (back-pressure, the rate limit) or fail becomes an Effect.
 */
import { Effect } from "effect"
import { type Connection, TransportError } from "@peerwire/transport"
import type { PeerConfig } from "../PeerConfig.js"
import type { PeerError } from "../PeerError.js"
import type { MessageMap, ProtocolFamily, Session } from "../ProtocolFamily.js"
import type { Errors } from "./errors.js"
import { makeRateLimiter } from "./rateLimiter.js"
import { makeSendQueue } from "./sendQueue.js"
import { makeWindow, type Window } from "./window.js"

export interface Outbound {
  /**
   * Sends one message. `deadline` (clock millis) bounds a wait for the rate limiter (requests); without it the wait
   * ends with the current window at the latest.
   */
  readonly transmit: (
    type: number,
    id: number | undefined,
    payload: unknown,
    name: string,
    deadline?: number
  ) => Effect.Effect<void, PeerError>
  /**
   * Sends now if it can: `undefined` once the frame is written; otherwise the Effect that finishes the job (it waits
   * for the transport or the rate limit, drops, or fails). `deadline` as for `transmit`.
   */
  readonly sendNow: (
    type: number,
    id: number | undefined,
    payload: unknown,
    name: string,
    deadline?: number
  ) => Effect.Effect<void, PeerError> | undefined
  /** The negotiated window of a request type, if any. */
  readonly window: (type: number) => Window | undefined
  /** Fails whatever waits to be sent (the peer has ended). */
  readonly close: () => void
}

export const makeOutbound = <M extends MessageMap, Info>(options: {
  readonly connection: Connection
  readonly family: ProtocolFamily<M>
  readonly session: Session<Info>
  readonly config: PeerConfig
  readonly errors: Errors
  readonly now: () => number
  readonly isClosing: () => boolean
  readonly bypass: (type: number) => boolean
  /** Starts a fiber supervised by the peer. */
  readonly fork: (effect: Effect.Effect<void>) => void
}): Outbound => {
  const { config, connection, errors, family, session } = options
  const limiter = config.exemptFromRateLimits || session.outboundLimits === undefined
    ? undefined
    : makeRateLimiter(session.outboundLimits, "outbound")
  const windows = new Map<number, Window>()
  for (const [type, size] of session.windows.outbound) {
    if (size > 0) windows.set(type, makeWindow(size))
  }

  const queue = makeSendQueue(connection, options.fork)

  // A fresh frame nobody else holds, so the transport may take it over uncopied; in order behind any that wait.
  const offer = (frame: Uint8Array, name: string): Effect.Effect<void, PeerError> | undefined => {
    const waiting = queue.offer(frame)
    return waiting === undefined ? undefined : Effect.mapError(waiting, (error) => errors.fromSend(error, name))
  }

  const sendNow = (
    type: number,
    id: number | undefined,
    payload: unknown,
    name: string,
    deadline?: number
  ): Effect.Effect<void, PeerError> | undefined => {
    if (options.isClosing()) return Effect.fail(errors.closedNow(name))
    const encoded = family.encodeFrame(type, id, payload)
    if (encoded._tag === "Left") return Effect.fail(errors.make("EncodeFailed", `${name}: ${encoded.left}`, name))
    const frame = encoded.right
    if (limiter === undefined || options.bypass(type)) return offer(frame, name)
    const size = family.payloadSize(frame, id)
    if (limiter.check(type, size, options.now())) return offer(frame, name)
    if (session.dropWhenLimited(type)) return Effect.logDebug(`outbound ${name} over the rate limit; dropped`)
    // Over the limit: retry every `outboundRetryInterval`, as the reference's `_wait_and_retry` does.
    const retry: Effect.Effect<void, PeerError> = Effect.sleep(config.outboundRetryInterval).pipe(
      Effect.zipRight(Effect.suspend(() => {
        if (options.isClosing()) return Effect.fail(errors.closedNow(name))
        return limiter.check(type, size, options.now()) ? (offer(frame, name) ?? Effect.void) : retry
      }))
    )
    if (deadline === undefined) return retry
    return Effect.timeoutFail(retry, {
      duration: Math.max(0, deadline - options.now()),
      onTimeout: () => errors.make("Timeout", `${name} still over the outbound rate limit at its deadline`, name)
    })
  }

  return {
    transmit: (type, id, payload, name, deadline) =>
      Effect.suspend(() => sendNow(type, id, payload, name, deadline) ?? Effect.void),
    sendNow,
    window: (type) => windows.get(type),
    close: () => queue.close(new TransportError({ reason: "WriteAfterClose", message: "the peer has ended" }))
  }
}

