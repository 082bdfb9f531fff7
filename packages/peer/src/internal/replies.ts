/**
 * Judges the reply to one of our requests (`call_api` in the reference): an error reply fails the request with the
 * remote's Error; empty data is "no response"; a type outside the reply map, or a payload that does not parse, fails
 * the request and is also a violation that ends the peer.
 */
import { Exit } from "effect"
import type { PeerError } from "../PeerError.js"
import type { Envelope, MessageMap, ProtocolFamily } from "../ProtocolFamily.js"
import type { Errors } from "./errors.js"

export interface Reply {
  readonly name: string
  readonly payload: unknown
}

/** A reply that breaks the protocol: the request fails with `error` and the peer must close with its verdict. */
export interface Violation {
  readonly _tag: "Violation"
  readonly error: PeerError
}

/** The request's outcome, or a violation (kept apart so that the common outcome is a single Exit, no wrapper). */
export type Judged = Exit.Exit<Reply, PeerError> | Violation

const violation = (error: PeerError): Judged => ({ _tag: "Violation", error })
const failure = (error: PeerError): Judged => Exit.fail(error)

/** For error messages only (not computed on the success path). */
const nameOf = <M extends MessageMap>(family: ProtocolFamily<M>, type: number): string =>
  family.nameOf(type) ?? String(type)

export const judgeReply = <M extends MessageMap>(
  family: ProtocolFamily<M>,
  errors: Errors,
  requestType: number,
  envelope: Envelope
): Judged => {
  if (family.errorReply !== undefined && envelope.type === family.errorReply.type) {
    const requestName = nameOf(family, requestType)
    const decoded = family.decodePayload(envelope.type, envelope.data)
    if (decoded._tag === "Left") {
      return violation(errors.make("MalformedPayload", `error reply to ${requestName}: ${decoded.left}`, requestName))
    }
    const remoteError = family.errorReply.read(decoded.right)
    const message = `${requestName} answered with error ${remoteError.code}: ${remoteError.message}`
    return failure(errors.make("ErrorResponse", message, requestName, { remoteError }))
  }
  if (envelope.data.length === 0) {
    const requestName = nameOf(family, requestType)
    return failure(errors.make("NoResponse", `${requestName} answered with no data`, requestName))
  }
  const replyName = family.nameOf(envelope.type) ?? String(envelope.type)
  const allowed = family.replyTypes(requestType)
  if (allowed !== undefined && !allowed.has(envelope.type)) {
    const message = `${nameOf(family, requestType)} answered with ${replyName}`
    return violation(errors.make("UnexpectedResponse", message, replyName))
  }
  const decoded = family.decodePayload(envelope.type, envelope.data)
  if (decoded._tag === "Left") {
    return violation(errors.make("MalformedPayload", `${replyName}: ${decoded.left}`, replyName))
  }
  return Exit.succeed({ name: replyName, payload: decoded.right })
}
