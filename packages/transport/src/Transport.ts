/**
 * The protocol-generic `Transport` service: it moves whole frames between peers and knows nothing of any blockchain.
 *
 * A protocol family (Chia over WebSocket, Graphene over TCP) plugs its framing in below this interface; the peer layer
 * above only sees `Connection`s that carry opaque frames in order.
 */
import type { Duration, Scope } from "effect"
import { Chunk, Context, Data, Effect, Option, Stream } from "effect"

/** A network endpoint. `host` is an IP literal or a hostname; IPv6 without brackets. */
export interface Address {
  readonly host: string
  readonly port: number
}

/** A certificate and its private key, both PEM. */
export interface TlsIdentity {
  readonly certificatePem: string
  readonly privateKeyPem: string
}

/**
 * How the remote certificate is checked. Hostnames are never checked (peers are found by IP and identified by the hash of
 * their certificate).
 * - `RequireCa`: the remote must present a certificate that chains to one of the given CA certificates (PEM).
 * - `AcceptAny`: the remote must present a certificate; any is accepted and only its identity is recorded.
 */
export type PeerVerification =
  | { readonly _tag: "RequireCa"; readonly caPem: ReadonlyArray<string> }
  | { readonly _tag: "AcceptAny" }

/** Mutual TLS settings of one side. */
export interface TlsSettings {
  readonly identity: TlsIdentity
  readonly verify: PeerVerification
}

/** `tls: undefined` means a plain, unencrypted transport; only ever used when asked for explicitly (tests, local tools). */
export interface SecurityOptions {
  readonly tls?: TlsSettings | undefined
}

export interface DialOptions extends SecurityOptions {
  /** Time allowed for the connection (TCP, TLS, upgrade) to open. Default `DEFAULT_OPEN_TIMEOUT`. */
  readonly openTimeout?: Duration.DurationInput | undefined
  /** Largest frame accepted from the remote; larger closes the connection with `FrameTooLarge`. Default `DEFAULT_MAX_FRAME_SIZE`. */
  readonly maxFrameSize?: number | undefined
  /** Buffered outbound bytes above which `send` waits. Default `DEFAULT_HIGH_WATER_MARK`. */
  readonly highWaterMark?: number | undefined
}

/** What the gate learns about an inbound connection before it is accepted (before the WebSocket upgrade). */
export interface InboundRequest {
  readonly remote: Address
  /** DER of the client certificate, when TLS is used and the client presented one. */
  readonly peerCertificate: Option.Option<Uint8Array>
}

/** The gate's answer: accept, or refuse with an HTTP-like status (403 for banned addresses, 503 when full). */
export type GateVerdict =
  | { readonly _tag: "Accept" }
  | { readonly _tag: "Reject"; readonly status: number; readonly reason: string }

export interface ListenOptions extends SecurityOptions {
  /** Interface to bind; `"127.0.0.1"`, `"0.0.0.0"`, `"::"`. */
  readonly host: string
  /** Port to bind; 0 picks a free one (read it back from `Listener.address`). */
  readonly port: number
  readonly maxFrameSize?: number | undefined
  readonly highWaterMark?: number | undefined
  /** Time an inbound connection has to finish TLS and the upgrade. Default `DEFAULT_OPEN_TIMEOUT`. */
  readonly openTimeout?: Duration.DurationInput | undefined
  /** Called for every inbound connection before it is accepted. Default: accept all. */
  readonly gate?: ((request: InboundRequest) => Effect.Effect<GateVerdict>) | undefined
}

/** Who ended a connection and how. `error` is set when it ended because of a failure rather than a close handshake. */
export interface CloseInfo {
  readonly initiator: "local" | "remote"
  readonly code: number
  readonly reason: string
  readonly error: Option.Option<TransportError>
}

/**
 * A synchronous consumer of inbound frames (push mode, see `Connection.deliverTo`). Both callbacks run inside the
 * transport's socket events: they must not block, and a throw closes the connection (code 1011, `ConsumerFailed`);
 * a consumer that threw is called no more (no `onEnd` either).
 */
export interface FrameConsumer {
  /**
   * One inbound frame, in arrival order. It is not copied for the call: it may be a view into the memory the transport
   * read it in, which it may share with neighbouring frames, so copy (`frame.slice()`) what is kept for long. Return
   * `false` to pause delivery until `FrameDelivery.resume` (frames arriving meanwhile are buffered, as copies, and the
   * socket stops reading past the high-water mark; a pull-based implementation may also hold the batch it was
   * delivering).
   */
  readonly onFrame: (frame: Uint8Array) => boolean
  /** Once, after the last frame: the connection ended cleanly (`undefined`) or with the error that closed it. */
  readonly onEnd: (error: TransportError | undefined) => void
}

/** The control a push consumer keeps. */
export interface FrameDelivery {
  /**
   * Restarts a delivery paused by `onFrame` returning `false`; buffered frames may be handed over before it returns.
   * Called during `onFrame` (the work it paused for finished at once), it cancels the pause that call asks for.
   */
  readonly resume: () => void
}

/** A live connection. Its lifetime is the Scope it was opened in (dial) or the listener's Scope (inbound). */
export interface Connection {
  /** Unique per process; stable for the life of the connection. */
  readonly id: string
  readonly direction: "inbound" | "outbound"
  readonly local: Address
  readonly remote: Address
  /** DER of the certificate the remote presented (TLS only). */
  readonly peerCertificate: Option.Option<Uint8Array>
  /** SHA-256 of `peerCertificate` (the Chia node id / peer id). */
  readonly peerId: Option.Option<Uint8Array>
  /**
   * Sends one frame. Waits while the outbound buffer is above the high-water mark (back-pressure).
   * Fails with `WriteAfterClose` once the connection is closed, `FrameTooLarge` over the remote's limit when it is known.
   */
  readonly send: (frame: Uint8Array) => Effect.Effect<void, TransportError>
  /**
   * Inbound frames in arrival order. Single consumer. Ends when the connection closes cleanly, fails with the
   * `TransportError` that closed it otherwise. Frames are copies the caller may keep.
   */
  readonly frames: Stream.Stream<Uint8Array, TransportError>
  /**
   * Optional fast path to the same inbound frames, for a loop that reads batch by batch (the peer layer): every frame
   * buffered (at least one), waiting while there is none; an empty array once the connection has ended cleanly; fails
   * with the `TransportError` that closed it. Same buffer and single-consumer rule as `frames` (use one at a time).
   * It costs one Effect wake-up per batch where a Stream step costs several; read it through `frameBatches`, which
   * falls back on `frames` for implementations without it.
   */
  readonly takeFrames?: Effect.Effect<ReadonlyArray<Uint8Array>, TransportError> | undefined
  /**
   * Push mode, the cheapest way to read (no Effect wake-up per frame): from now on every inbound frame goes to
   * `consumer` as it arrives, the ones already buffered first. It takes over the inbound side for good (single
   * consumer: `frames` and `takeFrames` are not to be used after it). Back-pressure: `onFrame` returns `false`.
   */
  readonly deliverTo: (consumer: FrameConsumer) => Effect.Effect<FrameDelivery>
  /**
   * Sends one frame at once when that needs no wait: `true` once written; `false` when `send` would wait
   * (back-pressure) or fail (closed, too large): the caller then uses `send`. For synchronous code such as a push
   * consumer answering a request; an implementation may always answer `false`. Unlike `send`, it takes the frame
   * over: the caller must not modify it afterwards (it may still be waiting in a buffer, uncopied).
   */
  readonly unsafeOffer: (frame: Uint8Array) => boolean
  /** Closes with a code (WebSocket semantics; 1000 normal) and a reason. Idempotent; waits until closed or a timeout. */
  readonly close: (code?: number, reason?: string) => Effect.Effect<void>
  /** Completes (never fails) once the connection is closed, with who closed it and why. */
  readonly closed: Effect.Effect<CloseInfo>
  /** A transport-level ping (WebSocket ping/pong); yields the round trip. Fails with `Timeout` or if closed. */
  readonly ping: (timeout?: Duration.DurationInput) => Effect.Effect<Duration.Duration, TransportError>
}

/** A bound listener. Closing its Scope stops listening and closes every connection it accepted. */
export interface Listener {
  readonly address: Address
  /** Accepted connections (the gate has said Accept). Single consumer. */
  readonly connections: Stream.Stream<Connection>
}

export type TransportErrorReason =
  | "DialRefused"
  | "TlsFailure"
  | "Timeout"
  | "FrameTooLarge"
  | "ProtocolError"
  | "WriteAfterClose"
  | "AddressInUse"
  | "ListenFailed"
  | "Rejected"
  | "ConnectionLost"
  | "InvalidOptions"
  | "ConsumerFailed"

/** Every failure of this package. `reason` says which; `message` says what, for a person. */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: TransportErrorReason
  readonly message: string
  readonly cause?: unknown
}> {}

/** The service. Implementations: `WebSocketTransport` (ws / wss), `MemoryTransport` (in-process, fault injection). */
export interface TransportShape {
  readonly dial: (address: Address, options?: DialOptions) => Effect.Effect<Connection, TransportError, Scope.Scope>
  readonly listen: (options: ListenOptions) => Effect.Effect<Listener, TransportError, Scope.Scope>
}

export class Transport extends Context.Tag("@peerwire/transport/Transport")<Transport, TransportShape>() {}

/** 50 MiB, the reference Chia node's `max_message_size`. */
export const DEFAULT_MAX_FRAME_SIZE = 50 * 1024 * 1024
/** Outbound bytes buffered before `send` waits (libp2p uses 4 MiB for the same purpose). */
export const DEFAULT_HIGH_WATER_MARK = 4 * 1024 * 1024
/** Time to open a connection (TCP + TLS + upgrade). */
export const DEFAULT_OPEN_TIMEOUT = "10 seconds" as const
/** Time `close` waits for the remote's close frame before tearing the socket down. */
export const DEFAULT_CLOSE_TIMEOUT = "5 seconds" as const
/** Default `ping` timeout. */
export const DEFAULT_PING_TIMEOUT = "30 seconds" as const

const NO_FRAMES: ReadonlyArray<Uint8Array> = []

/** What `observeConnection` reports. Each hook is called synchronously and must not throw. */
export interface ConnectionObserver {
  /** A frame handed to the transport (by `send` once it returned, by `unsafeOffer` once it accepted). */
  readonly sent?: ((frame: Uint8Array) => void) | undefined
  /** An inbound frame, before the consumer gets it (push) or as it is read (Stream, `takeFrames`). */
  readonly received?: ((frame: Uint8Array) => void) | undefined
  /** Once, when the connection is closed locally, is seen closed, or its reading ends. */
  readonly ended?: (() => void) | undefined
}

/**
 * The same connection, reporting its traffic to `observer` (counters, captures) whichever way it is read or sent on.
 */
export { observeConnection } from "./internal/observedConnection.js"

/**
 * `Connection.deliverTo` for implementations that read by pulling (wrappers, the in-memory transport): a fiber in the
 * Scope takes batches with `take` and hands them to the consumer. `onConsumerFailure` should close the connection.
 */
export { deliverByPull } from "./internal/framePump.js"

/**
 * Reads a connection's inbound frames batch by batch (see `Connection.takeFrames` for the contract of each read): its
 * `takeFrames` when it has one, else a pull on `frames` (which needs the Scope). Single consumer, like `frames`.
 */
export const frameBatches = (
  connection: Connection
): Effect.Effect<Effect.Effect<ReadonlyArray<Uint8Array>, TransportError>, never, Scope.Scope> => {
  if (connection.takeFrames !== undefined) return Effect.succeed(connection.takeFrames)
  return Effect.map(Stream.toPull(connection.frames), (pull) => {
    const next: Effect.Effect<ReadonlyArray<Uint8Array>, TransportError> = Effect.matchEffect(pull, {
      onFailure: Option.match({ onNone: () => Effect.succeed(NO_FRAMES), onSome: Effect.fail }),
      // A Stream may emit empty chunks; an empty batch means "ended" here, so they are skipped.
      onSuccess: (chunk) => (Chunk.isEmpty(chunk) ? next : Effect.succeed(Chunk.toReadonlyArray(chunk)))
    })
    return next
  })
}
