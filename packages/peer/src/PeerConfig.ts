/**
 * Settings of one peer. Every default is a named constant taken from the reference Chia node, so a node built on this
 * package behaves like one unless configured otherwise.
 */
import type { Duration } from "effect"

/** `call_api(timeout=60)`. */
export const DEFAULT_REQUEST_TIMEOUT = "60 seconds" as const
/** `asyncio.wait_for(…, timeout=600)` around every API handler. */
export const DEFAULT_HANDLER_TIMEOUT = "600 seconds" as const
/** The reference runs one task per message (unbounded); we bound it per connection. */
export const DEFAULT_HANDLER_CONCURRENCY = 64
/** Handlers queued but not started before the reader stops reading (back-pressure down to the transport). */
export const DEFAULT_DISPATCH_QUEUE_SIZE = 1024
/** aiohttp `heartbeat=60` on the dialer: a ping every 60 s … */
export const DEFAULT_HEARTBEAT_INTERVAL = "60 seconds" as const
/** … and the connection is dropped when no pong comes within heartbeat / 2. */
export const DEFAULT_HEARTBEAT_TIMEOUT = "30 seconds" as const
/** `garbage_collect_connections_task`: no message for 1800 s closes the connection. */
export const DEFAULT_IDLE_TIMEOUT = "1800 seconds" as const
/** How long a timed-out request id stays reserved so a late response to it is recognised and dropped. */
export const DEFAULT_LATE_RESPONSE_WINDOW = "600 seconds" as const
/** `_wait_and_retry`: an outbound message over the rate limit is retried after 1 s. */
export const DEFAULT_OUTBOUND_RETRY_INTERVAL = "1 second" as const
/** Buffer of each `messages(name)` subscription; a full buffer back-pressures dispatch. */
export const DEFAULT_NOTIFICATION_BUFFER = 256
/** A new `messages(name)` subscriber first receives the last message of that type (e.g. the current peak). */
export const DEFAULT_NOTIFICATION_REPLAY = 1

/** What happens to a non-response message that no handler accepts. */
export type UnhandledPolicy =
  /** Publish it to `messages(name)` subscribers only (client use). */
  | "ignore"
  /** Also close with the "UnhandledMessage" verdict, as the reference node does for types it has no API for. */
  | "reject"

export interface HeartbeatConfig {
  readonly interval: Duration.DurationInput
  readonly timeout: Duration.DurationInput
}

export interface PeerConfig {
  readonly requestTimeout: Duration.DurationInput
  readonly handlerTimeout: Duration.DurationInput
  readonly handlerConcurrency: number
  readonly dispatchQueueSize: number
  /** `undefined` disables the heartbeat (the reference listener sends no pings). */
  readonly heartbeat: HeartbeatConfig | undefined
  /** `undefined` disables the idle close. */
  readonly idleTimeout: Duration.DurationInput | undefined
  readonly lateResponseWindow: Duration.DurationInput
  readonly outboundRetryInterval: Duration.DurationInput
  readonly notificationBuffer: number
  readonly notificationReplay: number
  readonly unhandled: UnhandledPolicy
  /** Skip the rate limiters in both directions (the reference exempts localhost and `exempt_peer_networks`). */
  readonly exemptFromRateLimits: boolean
}

export const defaultPeerConfig: PeerConfig = {
  requestTimeout: DEFAULT_REQUEST_TIMEOUT,
  handlerTimeout: DEFAULT_HANDLER_TIMEOUT,
  handlerConcurrency: DEFAULT_HANDLER_CONCURRENCY,
  dispatchQueueSize: DEFAULT_DISPATCH_QUEUE_SIZE,
  heartbeat: { interval: DEFAULT_HEARTBEAT_INTERVAL, timeout: DEFAULT_HEARTBEAT_TIMEOUT },
  idleTimeout: DEFAULT_IDLE_TIMEOUT,
  lateResponseWindow: DEFAULT_LATE_RESPONSE_WINDOW,
  outboundRetryInterval: DEFAULT_OUTBOUND_RETRY_INTERVAL,
  notificationBuffer: DEFAULT_NOTIFICATION_BUFFER,
  notificationReplay: DEFAULT_NOTIFICATION_REPLAY,
  unhandled: "ignore",
  exemptFromRateLimits: false
}
