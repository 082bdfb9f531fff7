/** Maps what Node, TLS and `ws` report into `TransportError`s with a `reason`. */
import { TransportError } from "../Transport.js"
import type { TransportErrorReason } from "../Transport.js"

export const transportError = (reason: TransportErrorReason, message: string, cause?: unknown): TransportError =>
  new TransportError(cause === undefined ? { reason, message } : { reason, message, cause })

const errorCode = (cause: unknown): string | undefined => {
  if (typeof cause !== "object" || cause === null || !("code" in cause)) return undefined
  const code = (cause as { readonly code: unknown }).code
  return typeof code === "string" ? code : undefined
}

export const errorMessage = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "unknown error"

const REFUSED_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ENOTFOUND", "EAI_AGAIN"])

/** OpenSSL verification codes Node puts on the `error` of a TLS socket whose peer certificate was not trusted. */
const TLS_VERIFY_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "INVALID_CA",
  "ERR_TLS_CERT_ALTNAME_INVALID"
])

const isTlsCode = (code: string | undefined): boolean =>
  code !== undefined && (TLS_VERIFY_CODES.has(code) || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_"))

const isResetCode = (code: string | undefined, message: string): boolean =>
  code === "ECONNRESET" || code === "EPIPE" || message === "socket hang up"

/**
 * Classifies a failure while dialing. `secured` says whether the TLS handshake had completed on our side: our own
 * listener (like any Node TLS server) checks the client certificate only after its side of the handshake and then
 * drops the TCP connection without an alert, so on a TLS dial a reset before the HTTP response means "certificate
 * refused". A reference node (OpenSSL verifying in the handshake) sends a proper alert, which maps here too.
 */
export const dialError = (cause: unknown, tls: boolean, secured: boolean): TransportError => {
  const code = errorCode(cause)
  const message = errorMessage(cause)
  if (code !== undefined && REFUSED_CODES.has(code)) return transportError("DialRefused", `dial refused: ${message}`, cause)
  if (tls && isTlsCode(code)) return transportError("TlsFailure", `TLS handshake failed: ${message}`, cause)
  if (tls && isResetCode(code, message)) {
    return transportError(
      "TlsFailure",
      secured
        ? `the remote closed the connection after the TLS handshake (certificate refused?): ${message}`
        : `the connection was closed during the TLS handshake: ${message}`,
      cause
    )
  }
  if (code === "ETIMEDOUT") return transportError("Timeout", `dial timed out: ${message}`, cause)
  if (isResetCode(code, message)) return transportError("DialRefused", `connection closed while opening: ${message}`, cause)
  return transportError("ProtocolError", `WebSocket upgrade failed: ${message}`, cause)
}

export const listenError = (cause: unknown, host: string, port: number): TransportError => {
  const code = errorCode(cause)
  const message = errorMessage(cause)
  return code === "EADDRINUSE"
    ? transportError("AddressInUse", `address ${host}:${port} is in use`, cause)
    : transportError("ListenFailed", `cannot listen on ${host}:${port}: ${message}`, cause)
}

/**
 * Classifies an `error` event on an open WebSocket. `ws` reports protocol violations with `WS_ERR_*` codes and closes
 * the connection itself (1009 for an oversized frame, 1002/1007 otherwise); anything else is the socket failing.
 */
export const connectionError = (cause: unknown): TransportError => {
  const code = errorCode(cause)
  const message = errorMessage(cause)
  if (code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
    return transportError("FrameTooLarge", `inbound frame over the size limit: ${message}`, cause)
  }
  if (code !== undefined && code.startsWith("WS_ERR_")) {
    return transportError("ProtocolError", `WebSocket protocol violation: ${message}`, cause)
  }
  if (isTlsCode(code)) return transportError("TlsFailure", `TLS failure: ${message}`, cause)
  return transportError("ConnectionLost", `connection lost: ${message}`, cause)
}
