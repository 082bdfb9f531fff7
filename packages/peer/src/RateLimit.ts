/**
 * Rate-limit tables as data, protocol-generic: per message type a rule, plus one aggregate budget shared by the types
 * whose rule is `aggregate`. Counting happens in fixed windows (Chia: 60 s) on the Effect `Clock`.
 */

export type RateLimitRule =
  /** Counted per type and toward the aggregate budget. */
  | {
    readonly kind: "aggregate"
    readonly frequency: number
    readonly maxSize: number
    readonly maxTotalSize: number
  }
  /** Counted per type only ("tx" in the Chia source). */
  | {
    readonly kind: "standalone"
    readonly frequency: number
    readonly maxSize: number
    readonly maxTotalSize: number
  }
  /** Only the per-message size is checked. */
  | { readonly kind: "unlimited"; readonly maxSize: number }

export interface RateLimitTable {
  /** Rule of a type; `undefined` = not limited. */
  readonly rule: (type: number) => RateLimitRule | undefined
  /** The budget shared by all `aggregate` types per window. */
  readonly aggregate: { readonly frequency: number; readonly maxTotalSize: number }
  /** Window length in milliseconds. */
  readonly windowMillis: number
}
