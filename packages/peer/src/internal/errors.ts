/** Builds `PeerError`s with the family's verdict for each reason. */
import { Option } from "effect"
import type { TransportError } from "@peerwire/transport"
import { type PeerClosed, PeerError, type PeerErrorReason, type RemoteError } from "../PeerError.js"
import type { MessageMap, ProtocolFamily } from "../ProtocolFamily.js"

export interface Errors {
  readonly make: (
    reason: PeerErrorReason,
    message: string,
    messageType?: string | undefined,
    extra?: { readonly remoteError?: RemoteError; readonly cause?: unknown }
  ) => PeerError
  /** What pending and later calls fail with once the peer has ended. */
  readonly closed: (closed: PeerClosed) => PeerError
  readonly closedNow: (messageType: string) => PeerError
  /** A transport failure that ended the connection (inbound side: an oversize frame carries the family's ban). */
  readonly fromTransport: (error: TransportError) => PeerError
  /** A failed send: after close it is `Closed`, otherwise `TransportFailure`; neither carries a ban. */
  readonly fromSend: (error: TransportError, messageType: string) => PeerError
}

export const makeErrors = <M extends MessageMap>(family: ProtocolFamily<M>): Errors => {
  const make: Errors["make"] = (reason, message, messageType, extra) =>
    new PeerError({ reason, message, messageType, ...family.verdicts[reason], ...extra })
  return {
    make,
    closed: (closed) =>
      Option.match(closed.error, {
        onNone: () => make("Closed", `peer closed by ${closed.initiator} (${closed.code} "${closed.reason}")`),
        onSome: (cause) => make("Closed", `peer closed: ${cause.message}`, cause.messageType, { cause })
      }),
    closedNow: (messageType) => make("Closed", `peer is closed (sending ${messageType})`, messageType),
    fromTransport: (error) =>
      error.reason === "FrameTooLarge"
        ? make("FrameTooLarge", error.message, undefined, { cause: error })
        : make("TransportFailure", error.message, undefined, { cause: error }),
    fromSend: (error, messageType) =>
      error.reason === "WriteAfterClose"
        ? make("Closed", error.message, messageType, { cause: error })
        : make("TransportFailure", error.message, messageType, { cause: error })
  }
}
