/** Fault settings of the in-memory network: what a link does to frames, and which endpoints a rule applies to. */
import { Duration, Effect, Option } from "effect"
import type { Address } from "../Transport.js"
import { TransportError } from "../Transport.js"

/**
 * What a link does to traffic. Every field is optional; a rule for a specific link overrides the network-wide defaults
 * field by field (set a field to `0` / `false` to switch a default off on one link).
 */
export interface LinkFaults {
  /** One-way delay added to every frame, ping, close and dial. */
  readonly latency?: Duration.DurationInput | undefined
  /** Extra one-way delay drawn uniformly from `[0, jitter)` with the network's seeded `Random`; order is kept. */
  readonly jitter?: Duration.DurationInput | undefined
  /** Bytes per second per direction; a frame occupies the wire for `size / bandwidth` seconds. `0`: no cap. */
  readonly bandwidth?: number | undefined
  /** The connection dies abruptly (code 1006) once this many frames (both directions) have been sent on it. */
  readonly dropAfterFrames?: number | undefined
  /** Frames, pings and close frames are silently lost; new dials get no answer (they time out). */
  readonly blackhole?: boolean | undefined
}

/** `LinkFaults` with defaults applied and durations in milliseconds. */
export interface ResolvedFaults {
  readonly latency: number
  readonly jitter: number
  readonly bandwidth: number
  readonly dropAfterFrames: number | undefined
  readonly blackhole: boolean
}

const invalid = (message: string) => new TransportError({ reason: "InvalidOptions", message })

const millisOf = (
  input: Duration.DurationInput | undefined,
  what: string
): Effect.Effect<number | undefined, TransportError> => {
  if (input === undefined) return Effect.succeed(undefined)
  const decoded = Duration.decodeUnknown(input)
  if (Option.isNone(decoded) || !Duration.isFinite(decoded.value)) {
    return Effect.fail(invalid(`${what} must be a finite duration, got ${String(input)}`))
  }
  return Effect.succeed(Duration.toMillis(decoded.value))
}

const nonNegative = (value: number | undefined, what: string, integer: boolean): Effect.Effect<void, TransportError> =>
  value === undefined || (Number.isFinite(value) && value >= 0 && (!integer || Number.isInteger(value)))
    ? Effect.void
    : Effect.fail(invalid(`${what} must be a non-negative ${integer ? "integer" : "number"}, got ${value}`))

/** Faults with durations in milliseconds, only the fields that were given. */
export type PartialResolved = { -readonly [K in keyof ResolvedFaults]?: ResolvedFaults[K] }

/** Checks a `LinkFaults` and converts its durations; fails with `InvalidOptions`. */
export const checkFaults = (faults: LinkFaults): Effect.Effect<PartialResolved, TransportError> =>
  Effect.gen(function*() {
    const latency = yield* millisOf(faults.latency, "latency")
    const jitter = yield* millisOf(faults.jitter, "jitter")
    yield* nonNegative(faults.bandwidth, "bandwidth", false)
    yield* nonNegative(faults.dropAfterFrames, "dropAfterFrames", true)
    const out: PartialResolved = {}
    if (latency !== undefined) out.latency = latency
    if (jitter !== undefined) out.jitter = jitter
    if (faults.bandwidth !== undefined) out.bandwidth = faults.bandwidth
    if (faults.dropAfterFrames !== undefined) out.dropAfterFrames = faults.dropAfterFrames
    if (faults.blackhole !== undefined) out.blackhole = faults.blackhole
    return out
  })

export const NO_FAULTS: ResolvedFaults = {
  latency: 0,
  jitter: 0,
  bandwidth: 0,
  dropAfterFrames: undefined,
  blackhole: false
}

/** `host:port`, with brackets around IPv6 hosts. */
export const addressKey = (address: Address): string =>
  address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`

/**
 * Whether an endpoint pattern names this address. A pattern is a host (`"10.0.0.1"`, every port) or one address
 * (`"10.0.0.1:8444"`, `"[::1]:8444"`).
 */
export const matches = (pattern: string, address: Address): boolean =>
  pattern === address.host || pattern === addressKey(address) || pattern === `${address.host}:${address.port}`

/** Whether a rule between `a` and `b` (either way round) covers traffic between `x` and `y`. */
export const coversPair = (a: string, b: string, x: Address, y: Address): boolean =>
  (matches(a, x) && matches(b, y)) || (matches(a, y) && matches(b, x))
