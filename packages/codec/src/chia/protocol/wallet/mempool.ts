/**
 * Wallet protocol: fee estimates, mempool updates and cost info (`chia/protocols/wallet_protocol.py`, messages 89–90,
 * 104–107). The fee estimate types themselves (FeeRate, FeeEstimate, FeeEstimateGroup) live in `../../types`.
 */
import type { TypeOf } from "../../../Codec.js"
import { list, struct } from "../../../Combinators.js"
import { bytes32, uint64, uint8 } from "../../../Primitives.js"
import { FeeEstimateGroup } from "../../types/index.js"

export const RequestFeeEstimates = struct("RequestFeeEstimates", { time_targets: list(uint64) })
export type RequestFeeEstimates = TypeOf<typeof RequestFeeEstimates>

export const RespondFeeEstimates = struct("RespondFeeEstimates", { estimates: FeeEstimateGroup })
export type RespondFeeEstimates = TypeOf<typeof RespondFeeEstimates>

/** `reason`: MempoolRemoveReason (1 CONFLICT, 2 BLOCK_INCLUSION, 3 POOL_FULL, 4 EXPIRED), a plain uint8 (§E). */
export const RemovedMempoolItem = struct("RemovedMempoolItem", { transaction_id: bytes32, reason: uint8 })
export type RemovedMempoolItem = TypeOf<typeof RemovedMempoolItem>

export const MempoolItemsAdded = struct("MempoolItemsAdded", { transaction_ids: list(bytes32) })
export type MempoolItemsAdded = TypeOf<typeof MempoolItemsAdded>

export const MempoolItemsRemoved = struct("MempoolItemsRemoved", { removed_items: list(RemovedMempoolItem) })
export type MempoolItemsRemoved = TypeOf<typeof MempoolItemsRemoved>

export const RequestCostInfo = struct("RequestCostInfo", {})
export type RequestCostInfo = TypeOf<typeof RequestCostInfo>

export const RespondCostInfo = struct("RespondCostInfo", {
  max_transaction_cost: uint64,
  max_block_cost: uint64,
  max_mempool_cost: uint64,
  mempool_cost: uint64,
  mempool_fee: uint64,
  bump_fee_per_cost: uint8
})
export type RespondCostInfo = TypeOf<typeof RespondCostInfo>
