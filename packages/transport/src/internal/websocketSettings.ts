/** Resolved, validated settings shared by the dialer and the listener. */
import { randomBytes } from "node:crypto"
import { Duration, Effect } from "effect"
import type { Address, DialOptions, ListenOptions } from "../Transport.js"
import { DEFAULT_CLOSE_TIMEOUT, DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_FRAME_SIZE, DEFAULT_OPEN_TIMEOUT } from "../Transport.js"
import type { TransportError } from "../Transport.js"
import { transportError } from "./websocketErrors.js"

/** The only path a Chia node serves its WebSocket on. */
export const WEBSOCKET_PATH = "/ws"

/** Inbound bytes waiting for the consumer above which the socket stops being read. */
export const DEFAULT_INBOUND_HIGH_WATER_MARK = 4 * 1024 * 1024

export interface TransportSettings {
  readonly inboundHighWaterMark: number
  readonly closeTimeoutMs: number
  readonly nextConnectionId: () => string
}

export interface WebSocketTransportOptions {
  /** Inbound bytes buffered for a slow consumer before reading pauses. Default `DEFAULT_INBOUND_HIGH_WATER_MARK`. */
  readonly inboundHighWaterMark?: number | undefined
  /** How long `close` waits for the remote's close frame before dropping the socket. Default `DEFAULT_CLOSE_TIMEOUT`. */
  readonly closeTimeout?: Duration.DurationInput | undefined
}

export const transportSettings = (options: WebSocketTransportOptions | undefined): TransportSettings => {
  // Ids are unique per process without global state: a random prefix per transport plus a counter.
  const prefix = randomBytes(4).toString("hex")
  let counter = 0
  return {
    inboundHighWaterMark: options?.inboundHighWaterMark ?? DEFAULT_INBOUND_HIGH_WATER_MARK,
    closeTimeoutMs: Duration.toMillis(Duration.decode(options?.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT)),
    nextConnectionId: () => `ws-${prefix}-${++counter}`
  }
}

export interface ConnectionLimits {
  readonly maxFrameSize: number
  readonly highWaterMark: number
  readonly openTimeout: Duration.Duration
}

const isSize = (n: number): boolean => Number.isSafeInteger(n) && n > 0

const decodeDuration = (input: Duration.DurationInput): Duration.Duration | undefined => {
  try {
    return Duration.decode(input)
  } catch {
    return undefined
  }
}

export const connectionLimits = (
  options: DialOptions | ListenOptions | undefined
): Effect.Effect<ConnectionLimits, TransportError> => {
  const maxFrameSize = options?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
  const highWaterMark = options?.highWaterMark ?? DEFAULT_HIGH_WATER_MARK
  const openTimeout = decodeDuration(options?.openTimeout ?? DEFAULT_OPEN_TIMEOUT)
  if (!isSize(maxFrameSize)) return Effect.fail(invalid(`maxFrameSize must be a positive integer, got ${maxFrameSize}`))
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 0) {
    return Effect.fail(invalid(`highWaterMark must be a non-negative integer, got ${highWaterMark}`))
  }
  if (openTimeout === undefined || !Duration.isFinite(openTimeout) || Duration.toMillis(openTimeout) <= 0) {
    return Effect.fail(invalid("openTimeout must be a positive, finite duration"))
  }
  return Effect.succeed({ maxFrameSize, highWaterMark, openTimeout })
}

export const checkAddress = (address: Address, allowPortZero: boolean): Effect.Effect<void, TransportError> =>
  address.host.length === 0
    ? Effect.fail(invalid("host must not be empty"))
    : !Number.isInteger(address.port) || address.port < (allowPortZero ? 0 : 1) || address.port > 65535
    ? Effect.fail(invalid(`port must be an integer in ${allowPortZero ? 0 : 1}..65535, got ${address.port}`))
    : Effect.void

const invalid = (message: string) => transportError("InvalidOptions", message)

/** `wss://host:port/ws`, IPv6 literals in brackets. */
export const endpointUrl = (address: Address, secure: boolean): string =>
  `${secure ? "wss" : "ws"}://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}${WEBSOCKET_PATH}`
