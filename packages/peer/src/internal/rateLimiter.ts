/**
 * Fixed-window rate limiter of one direction of one connection (the reference's `RateLimiter.process_msg_and_check`):
 * counters reset when `floor(now / window)` changes; thresholds scale by `percent` except the per-message size.
 * Inbound counters always count the message (even a violating one); outbound counters only count what is allowed.
 */
import type { DirectionLimits } from "../ProtocolFamily.js"

/** Message types are one byte in every family we speak; counters are flat arrays indexed by type. */
const TYPE_SLOTS = 256

export interface RateLimiter {
  /** `true` if the message is within the limits. */
  readonly check: (type: number, size: number, nowMillis: number) => boolean
}

export const makeRateLimiter = (limits: DirectionLimits, direction: "inbound" | "outbound"): RateLimiter => {
  const { table } = limits
  const proportion = limits.percent / 100
  const counts = new Float64Array(TYPE_SLOTS)
  const sizes = new Float64Array(TYPE_SLOTS)
  let aggregateCount = 0
  let aggregateSize = 0
  let window = Number.NEGATIVE_INFINITY
  const commitAlways = direction === "inbound"

  return {
    check(type, size, nowMillis) {
      const current = Math.floor(nowMillis / table.windowMillis)
      if (current !== window) {
        window = current
        counts.fill(0)
        sizes.fill(0)
        aggregateCount = 0
        aggregateSize = 0
      }
      const rule = table.rule(type)
      if (rule === undefined) return true
      if (rule.kind === "unlimited") return size <= rule.maxSize
      const slot = type & 0xff
      const newCount = counts[slot]! + 1
      const newSize = sizes[slot]! + size
      let newAggregateCount = aggregateCount
      let newAggregateSize = aggregateSize
      let ok = true
      if (rule.kind === "aggregate") {
        newAggregateCount += 1
        newAggregateSize += size
        if (newAggregateCount > table.aggregate.frequency * proportion) ok = false
        else if (newAggregateSize > table.aggregate.maxTotalSize * proportion) ok = false
      }
      if (ok) {
        if (newCount > rule.frequency * proportion) ok = false
        else if (size > rule.maxSize) ok = false
        else if (newSize > rule.maxTotalSize * proportion) ok = false
      }
      if (ok || commitAlways) {
        counts[slot] = newCount
        sizes[slot] = newSize
        aggregateCount = newAggregateCount
        aggregateSize = newAggregateSize
      }
      return ok
    }
  }
}
