/**
 * The one error type of the peer layer. Every protocol violation, timeout and failure of a peer surfaces as a
 * `PeerError` whose `reason` says what happened and whose verdict (`banSeconds`, `closeCode`, `closeReason`) says what
 * the protocol family's reference implementation does about it. The peer only gives the verdict; banning is the
 * node's job.
 */
import type { Option } from "effect"
import { Data } from "effect"

export type PeerErrorReason =
  // Handshake
  /** The first message was missing, unparsable, of the wrong type, or had invalid fields. */
  | "HandshakeInvalid"
  /** The remote is on another network. */
  | "IncompatibleNetwork"
  /** The remote announced a node type (role) that does not exist. */
  | "InvalidNodeType"
  /** The handshake did not finish in time. */
  | "HandshakeTimeout"
  // Requests
  /** No response arrived within the request timeout. Nothing is closed; a late response is ignored. */
  | "Timeout"
  /** A response whose type is not an allowed reply to the request. */
  | "UnexpectedResponse"
  /** The remote answered with its protocol's error message; `remoteError` carries it. */
  | "ErrorResponse"
  /** The remote answered with an empty payload ("no response"). */
  | "NoResponse"
  /** Every request id of our half is pending or recently timed out. */
  | "NoFreeRequestId"
  /** A payload we were asked to send does not fit its type. Nothing is sent or closed. */
  | "EncodeFailed"
  // Inbound traffic
  /** A frame that is not a valid envelope, or whose type is unknown. */
  | "MalformedMessage"
  /** A known message type whose payload does not parse. */
  | "MalformedPayload"
  /** A message the remote's node type may not send. */
  | "ForbiddenSender"
  /** A response type that arrived without a matching request and that the family punishes. */
  | "UnsolicitedResponse"
  /** A message no handler accepts, when the unhandled policy is "reject". */
  | "UnhandledMessage"
  /** The remote exceeded an inbound rate limit. */
  | "RateLimited"
  /** The remote exceeded a negotiated concurrent-request window. */
  | "WindowExceeded"
  /** A frame over the size limit. */
  | "FrameTooLarge"
  /** A handler failed (or reported a violation of its own). */
  | "HandlerFailed"
  // Liveness
  /** No pong to a heartbeat ping in time. */
  | "HeartbeatTimeout"
  /** No message for the idle timeout. */
  | "IdleTimeout"
  // Lifecycle
  /** The connection is closed (by either side); pending and later calls fail with this. */
  | "Closed"
  /** The transport failed underneath. */
  | "TransportFailure"

/** The payload of the remote's error reply (Chia: `Error { code: int16, message: str, data: Optional[bytes] }`). */
export interface RemoteError {
  readonly code: number
  readonly message: string
  readonly data: Uint8Array | undefined
}

/** What the reference does about a violation: close with `closeCode`/`closeReason` and ban for `banSeconds`. */
export interface Verdict {
  /** Seconds the node should ban the remote's address for; 0 = no ban. */
  readonly banSeconds: number
  /** Close code to send; `undefined` = the error does not close the connection. */
  readonly closeCode: number | undefined
  /** Close reason to send (Chia: the `Err` number as text, e.g. "-6"). */
  readonly closeReason: string
}

export class PeerError extends Data.TaggedError("PeerError")<
  Verdict & {
    readonly reason: PeerErrorReason
    readonly message: string
    /** Name of the message type concerned, when there is one. */
    readonly messageType?: string | undefined
    /** The remote's error reply (reason "ErrorResponse"). */
    readonly remoteError?: RemoteError | undefined
    readonly cause?: unknown
  }
> {}

/** Why a peer ended. `error` is the violation or failure that ended it; its verdict is repeated at the top level. */
export interface PeerClosed {
  readonly initiator: "local" | "remote"
  readonly code: number
  readonly reason: string
  readonly banSeconds: number
  readonly error: Option.Option<PeerError>
}

/** True when the error ends the connection (it carries a close code). */
export const closesConnection = (error: PeerError): boolean => error.closeCode !== undefined
