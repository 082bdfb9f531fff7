/**
 * A connection after its handshake, protocol-generic: typed requests with id correlation and timeouts, handlers for
 * inbound messages (bounded concurrency, handler timeout, reply with the request id), typed notification streams,
 * heartbeat and idle close, rate limits and concurrent-request windows, and a ban verdict for every violation.
 *
 * A protocol family (see `ProtocolFamily`) supplies the codec, the reply map and the verdicts; its handshake produces
 * the `Session`. `ChiaPeer` is the Chia family's entry point.
 */
import type { Duration, Effect, Scope, Stream } from "effect"
import type { Connection } from "@peerwire/transport"
import type { PeerConfig } from "./PeerConfig.js"
import type { PeerClosed, PeerError } from "./PeerError.js"
import type {
  Message,
  MessageMap,
  NameOf,
  ProtocolFamily,
  ReplyMap,
  ReplyTo,
  RequestName,
  Role,
  Session
} from "./ProtocolFamily.js"
import type { FrameReader } from "./internal/frameReader.js"
import { makePeerRuntime } from "./internal/peerRuntime.js"

export interface RequestOptions {
  /** Overrides `PeerConfig.requestTimeout` (the reference uses 360 s for weight proofs, 10 s for compact VDFs). */
  readonly timeout?: Duration.DurationInput | undefined
}

export interface HandlerContext {
  /** The request id the reply will carry (`undefined` for notifications). */
  readonly id: number | undefined
  readonly name: string
}

/** What a handler may answer: one of the allowed replies for requests in the reply map, any message otherwise. */
export type HandlerReply<M extends MessageMap, R extends ReplyMap<M>, N extends NameOf<M>> = N extends RequestName<M, R>
  ? ReplyTo<M, R, N>
  : Message<M>

/**
 * Handles one inbound message. A returned reply is sent with the message's id; `void` sends nothing. A failure with a
 * `PeerError` that closes (see `closesConnection`) ends the peer with that verdict; any other failure or defect ends it
 * with the family's "HandlerFailed" verdict. A handler that outlives `handlerTimeout` is interrupted and nothing is
 * sent.
 */
export type Handler<M extends MessageMap, R extends ReplyMap<M>, N extends NameOf<M>> = (
  payload: M[N],
  context: HandlerContext
) => Effect.Effect<HandlerReply<M, R, N> | void, PeerError>

/** Handlers by message name. */
export type Handlers<M extends MessageMap, R extends ReplyMap<M>> = { readonly [N in NameOf<M>]?: Handler<M, R, N> }

export interface Peer<M extends MessageMap, R extends ReplyMap<M>, Info> {
  readonly connection: Connection
  readonly role: Role
  /** What the remote announced in its handshake. */
  readonly info: Info
  /**
   * Sends a request and waits for its reply; the result type is the union of the allowed replies. Fails with
   * `Timeout` (nothing closed; a reply within `lateResponseWindow` after it is dropped, a later one is handled like
   * any unsolicited message), `ErrorResponse`, `NoResponse`, `UnexpectedResponse` (the peer is closed with a ban
   * verdict), `Closed`, `EncodeFailed`. An interrupted request keeps its id reserved until its reply or deadline.
   */
  readonly request: <N extends RequestName<M, R>>(
    name: N,
    payload: M[N],
    options?: RequestOptions
  ) => Effect.Effect<ReplyTo<M, R, N>, PeerError>
  /** Sends a message that needs no reply (waits while over the outbound rate limit). */
  readonly send: <N extends NameOf<M>>(name: N, payload: M[N]) => Effect.Effect<void, PeerError>
  /** Registers (or replaces) the handler of a message type. */
  readonly handle: <N extends NameOf<M>>(name: N, handler: Handler<M, R, N>) => Effect.Effect<void>
  /**
   * Inbound messages of one type that were not replies to our requests, in arrival order. A new subscriber first gets
   * the last `notificationReplay` messages of that type. Ends when the peer closes.
   */
  readonly messages: <N extends NameOf<M>>(name: N) => Stream.Stream<M[N]>
  /** Closes the peer (1000, or the error's verdict). Idempotent. */
  readonly close: (error?: PeerError) => Effect.Effect<void>
  /** Completes once the peer has ended, with why (and the ban verdict). */
  readonly closed: Effect.Effect<PeerClosed>
  readonly isClosed: Effect.Effect<boolean>
}

/**
 * Starts the peer on a connection whose handshake is done. The peer lives until it closes or `Scope` ends (which closes
 * it with 1000). `reader` is the frame reader the handshake used, positioned after the handshake's messages.
 */
export const make = <M extends MessageMap, R extends ReplyMap<M>, Info>(options: {
  readonly connection: Connection
  readonly reader: FrameReader
  readonly family: ProtocolFamily<M>
  readonly session: Session<Info>
  readonly config: PeerConfig
  /** Handlers registered before the first message is read (so early messages find them). */
  readonly handlers?: Handlers<M, R> | undefined
}): Effect.Effect<Peer<M, R, Info>, never, Scope.Scope> => makePeerRuntime<M, R, Info>(options)
