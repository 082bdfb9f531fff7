/** Fee estimates (chia `types/fee_rate.py`, `protocols/fee_estimate.py`). */
import type { TypeOf } from "../../Codec.js"
import { list, optional, struct } from "../../Combinators.js"
import { str, uint64 } from "../../Primitives.js"

export const FeeRate = struct("FeeRate", { mojos_per_clvm_cost: uint64 })
export type FeeRate = TypeOf<typeof FeeRate>

export const FeeEstimate = struct("FeeEstimate", {
  error: optional(str),
  time_target: uint64,
  estimated_fee_rate: FeeRate
})
export type FeeEstimate = TypeOf<typeof FeeEstimate>

export const FeeEstimateGroup = struct("FeeEstimateGroup", { error: optional(str), estimates: list(FeeEstimate) })
export type FeeEstimateGroup = TypeOf<typeof FeeEstimateGroup>
