/**
 * Chia protocol constants the peer layer needs: ban durations (`protocol_timing.py`), WebSocket close codes and the
 * `Err` numbers sent as close reasons, protocol versions per node type, default capabilities, handshake limits, and
 * the verdict of every `PeerError` reason as the reference node hands it out.
 */
import { Capability, NodeType } from "@peerwire/codec/chia/MessageTypes"
import type { PeerErrorReason, Verdict } from "../PeerError.js"

/** Handshake failures. */
export const INVALID_PROTOCOL_BAN_SECONDS = 10
/** Handler exceptions, unknown handler, wrong sender type. */
export const API_EXCEPTION_BAN_SECONDS = 10
/** Unparsable frame / unknown type, wrong reply type. */
export const INTERNAL_PROTOCOL_ERROR_BAN_SECONDS = 10
/** Consensus violations (handlers may fail with this verdict). */
export const CONSENSUS_ERROR_BAN_SECONDS = 600
/** Rate-limit violations, oversize frames, unsolicited blocks. */
export const RATE_LIMITER_BAN_SECONDS = 300

/** `WSCloseCode.OK`. */
export const WS_CLOSE_OK = 1000
/** `WSCloseCode.PROTOCOL_ERROR`. */
export const WS_CLOSE_PROTOCOL_ERROR = 1002

/** The `Err` values (`chia/util/errors.py`) the P2P layer sends as close reasons (`str(int(err))`). */
export const Err = {
  INVALID_PROTOCOL_MESSAGE: -4,
  SELF_CONNECTION: -5,
  INVALID_HANDSHAKE: -6,
  UNKNOWN: 1,
  INCOMPATIBLE_NETWORK_ID: 110,
  INTERNAL_PROTOCOL_ERROR: 125
} as const

/** `protocol_version` per node type (`shared_protocol.py`, HEAD). */
export const PROTOCOL_VERSIONS: { readonly [T in NodeType]: string } = {
  [NodeType.FULL_NODE]: "0.0.36",
  [NodeType.HARVESTER]: "0.0.38",
  [NodeType.FARMER]: "0.0.38",
  [NodeType.TIMELORD]: "0.0.36",
  [NodeType.INTRODUCER]: "0.0.36",
  [NodeType.WALLET]: "0.0.38",
  [NodeType.DATA_LAYER]: "0.0.36",
  [NodeType.SOLVER]: "0.0.37"
}

/**
 * The `__version__` we announce unless told otherwise: the newest reference release (chia-blockchain 2.7.5, the version
 * the interop suite runs against), so that reference nodes see one of their own.
 */
export const DEFAULT_SOFTWARE_VERSION = "2.7.5"
/** `MAX_VERSION_STRING_BYTES`: a longer software_version is an invalid handshake. */
export const MAX_VERSION_STRING_BYTES = 128
/** `peer_connect_timeout`: the listener's handshake deadline. */
export const LISTENER_HANDSHAKE_TIMEOUT = "30 seconds" as const
/** `outbound_handshake_timeout`: the dialer's handshake deadline (the reference default). */
export const DIALER_HANDSHAKE_TIMEOUT = "120 seconds" as const

/** `default_capabilities`: BASE, BLOCK_HEADERS, RATE_LIMITS_V2, plus MEMPOOL_UPDATES for full nodes. */
export const defaultCapabilities = (nodeType: NodeType): ReadonlyArray<readonly [number, string]> => {
  const base: Array<readonly [number, string]> = [
    [Capability.BASE, "1"],
    [Capability.BLOCK_HEADERS, "1"],
    [Capability.RATE_LIMITS_V2, "1"]
  ]
  if (nodeType === NodeType.FULL_NODE) base.push([Capability.MEMPOOL_UPDATES, "1"])
  return base
}

const verdict = (banSeconds: number, closeCode: number | undefined, err?: number): Verdict => ({
  banSeconds,
  closeCode,
  closeReason: err === undefined ? "" : String(err)
})

/** What the reference node does for each reason (chia-node-behaviour §2.2, §3). */
export const CHIA_VERDICTS: { readonly [R in PeerErrorReason]: Verdict } = {
  HandshakeInvalid: verdict(INVALID_PROTOCOL_BAN_SECONDS, WS_CLOSE_PROTOCOL_ERROR, Err.INVALID_HANDSHAKE),
  IncompatibleNetwork: verdict(INVALID_PROTOCOL_BAN_SECONDS, WS_CLOSE_PROTOCOL_ERROR, Err.INCOMPATIBLE_NETWORK_ID),
  InvalidNodeType: verdict(INVALID_PROTOCOL_BAN_SECONDS, WS_CLOSE_PROTOCOL_ERROR, Err.UNKNOWN),
  // The listener's timeout; the dialer's is a plain close without ban (see Handshake).
  HandshakeTimeout: verdict(INVALID_PROTOCOL_BAN_SECONDS, WS_CLOSE_PROTOCOL_ERROR, Err.INVALID_HANDSHAKE),
  Timeout: verdict(0, undefined),
  UnexpectedResponse: verdict(
    INTERNAL_PROTOCOL_ERROR_BAN_SECONDS,
    WS_CLOSE_PROTOCOL_ERROR,
    Err.INVALID_PROTOCOL_MESSAGE
  ),
  ErrorResponse: verdict(0, undefined),
  NoResponse: verdict(0, undefined),
  // "no available request nonces" → close() without ban.
  NoFreeRequestId: verdict(0, WS_CLOSE_OK),
  EncodeFailed: verdict(0, undefined),
  MalformedMessage: verdict(INTERNAL_PROTOCOL_ERROR_BAN_SECONDS, WS_CLOSE_PROTOCOL_ERROR, Err.INVALID_PROTOCOL_MESSAGE),
  // Payload parse errors surface in `_api_call` as generic exceptions.
  MalformedPayload: verdict(API_EXCEPTION_BAN_SECONDS, WS_CLOSE_PROTOCOL_ERROR, Err.UNKNOWN),
  ForbiddenSender: verdict(API_EXCEPTION_BAN_SECONDS, WS_CLOSE_PROTOCOL_ERROR, Err.UNKNOWN),
  // `peer.close(RATE_LIMITER_BAN_SECONDS)` in the full node's respond_block(s)/reject_block(s) handlers.
  UnsolicitedResponse: verdict(RATE_LIMITER_BAN_SECONDS, WS_CLOSE_OK),
  UnhandledMessage: verdict(API_EXCEPTION_BAN_SECONDS, WS_CLOSE_PROTOCOL_ERROR, Err.UNKNOWN),
  RateLimited: verdict(RATE_LIMITER_BAN_SECONDS, WS_CLOSE_OK),
  WindowExceeded: verdict(RATE_LIMITER_BAN_SECONDS, WS_CLOSE_OK),
  FrameTooLarge: verdict(RATE_LIMITER_BAN_SECONDS, WS_CLOSE_OK),
  HandlerFailed: verdict(API_EXCEPTION_BAN_SECONDS, WS_CLOSE_PROTOCOL_ERROR, Err.UNKNOWN),
  HeartbeatTimeout: verdict(0, WS_CLOSE_OK),
  IdleTimeout: verdict(0, WS_CLOSE_OK),
  Closed: verdict(0, undefined),
  TransportFailure: verdict(0, undefined)
}
