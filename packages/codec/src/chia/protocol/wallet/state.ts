/**
 * Wallet protocol: the batched sync requests (`chia/protocols/wallet_protocol.py`, messages 98–103).
 */
import type { TypeOf } from "../../../Codec.js"
import { list, optional, struct } from "../../../Combinators.js"
import { bool, bytes32, uint32, uint64, uint8 } from "../../../Primitives.js"
import { CoinState } from "../../types/index.js"

export const CoinStateFilters = struct("CoinStateFilters", {
  include_spent: bool,
  include_unspent: bool,
  include_hinted: bool,
  min_amount: uint64
})
export type CoinStateFilters = TypeOf<typeof CoinStateFilters>

export const RequestPuzzleState = struct("RequestPuzzleState", {
  puzzle_hashes: list(bytes32),
  previous_height: optional(uint32),
  header_hash: bytes32,
  filters: CoinStateFilters,
  subscribe_when_finished: bool
})
export type RequestPuzzleState = TypeOf<typeof RequestPuzzleState>

export const RespondPuzzleState = struct("RespondPuzzleState", {
  puzzle_hashes: list(bytes32),
  height: uint32,
  header_hash: bytes32,
  is_finished: bool,
  coin_states: list(CoinState)
})
export type RespondPuzzleState = TypeOf<typeof RespondPuzzleState>

/** `reason`: RejectStateReason (0 = REORG, 1 = EXCEEDED_SUBSCRIPTION_LIMIT), a plain uint8 in the Python class (§E). */
export const RejectPuzzleState = struct("RejectPuzzleState", { reason: uint8 })
export type RejectPuzzleState = TypeOf<typeof RejectPuzzleState>

export const RequestCoinState = struct("RequestCoinState", {
  coin_ids: list(bytes32),
  previous_height: optional(uint32),
  header_hash: bytes32,
  subscribe: bool
})
export type RequestCoinState = TypeOf<typeof RequestCoinState>

export const RespondCoinState = struct("RespondCoinState", { coin_ids: list(bytes32), coin_states: list(CoinState) })
export type RespondCoinState = TypeOf<typeof RespondCoinState>

/** `reason`: RejectStateReason, as in RejectPuzzleState. */
export const RejectCoinState = struct("RejectCoinState", { reason: uint8 })
export type RejectCoinState = TypeOf<typeof RejectCoinState>
