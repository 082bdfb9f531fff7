/**
 * Wallet protocol: puzzle-hash and coin subscriptions, children, sub-epoch summaries
 * (`chia/protocols/wallet_protocol.py`, messages 69–77, 94–97).
 */
import type { TypeOf } from "../../../Codec.js"
import { list, optional, struct } from "../../../Combinators.js"
import { bytes32, uint32 } from "../../../Primitives.js"
import { CoinState } from "../../types/index.js"

export const RegisterForPhUpdates = struct("RegisterForPhUpdates", { puzzle_hashes: list(bytes32), min_height: uint32 })
export type RegisterForPhUpdates = TypeOf<typeof RegisterForPhUpdates>

export const RespondToPhUpdates = struct("RespondToPhUpdates", {
  puzzle_hashes: list(bytes32),
  min_height: uint32,
  coin_states: list(CoinState)
})
export type RespondToPhUpdates = TypeOf<typeof RespondToPhUpdates>

export const RegisterForCoinUpdates = struct("RegisterForCoinUpdates", { coin_ids: list(bytes32), min_height: uint32 })
export type RegisterForCoinUpdates = TypeOf<typeof RegisterForCoinUpdates>

export const RespondToCoinUpdates = struct("RespondToCoinUpdates", {
  coin_ids: list(bytes32),
  min_height: uint32,
  coin_states: list(CoinState)
})
export type RespondToCoinUpdates = TypeOf<typeof RespondToCoinUpdates>

export const CoinStateUpdate = struct("CoinStateUpdate", {
  height: uint32,
  fork_height: uint32,
  peak_hash: bytes32,
  items: list(CoinState)
})
export type CoinStateUpdate = TypeOf<typeof CoinStateUpdate>

export const RequestChildren = struct("RequestChildren", { coin_name: bytes32 })
export type RequestChildren = TypeOf<typeof RequestChildren>

export const RespondChildren = struct("RespondChildren", { coin_states: list(CoinState) })
export type RespondChildren = TypeOf<typeof RespondChildren>

export const RequestSESInfo = struct("RequestSESInfo", { start_height: uint32, end_height: uint32 })
export type RequestSESInfo = TypeOf<typeof RequestSESInfo>

export const RespondSESInfo = struct("RespondSESInfo", {
  reward_chain_hash: list(bytes32),
  heights: list(list(uint32))
})
export type RespondSESInfo = TypeOf<typeof RespondSESInfo>

export const RequestRemovePuzzleSubscriptions = struct("RequestRemovePuzzleSubscriptions", {
  puzzle_hashes: optional(list(bytes32))
})
export type RequestRemovePuzzleSubscriptions = TypeOf<typeof RequestRemovePuzzleSubscriptions>

export const RespondRemovePuzzleSubscriptions = struct("RespondRemovePuzzleSubscriptions", {
  puzzle_hashes: list(bytes32)
})
export type RespondRemovePuzzleSubscriptions = TypeOf<typeof RespondRemovePuzzleSubscriptions>

export const RequestRemoveCoinSubscriptions = struct("RequestRemoveCoinSubscriptions", {
  coin_ids: optional(list(bytes32))
})
export type RequestRemoveCoinSubscriptions = TypeOf<typeof RequestRemoveCoinSubscriptions>

export const RespondRemoveCoinSubscriptions = struct("RespondRemoveCoinSubscriptions", { coin_ids: list(bytes32) })
export type RespondRemoveCoinSubscriptions = TypeOf<typeof RespondRemoveCoinSubscriptions>
