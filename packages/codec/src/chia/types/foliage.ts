/** Foliage and transaction data of a block (chia_rs `foliage.rs`, `pool_target.rs`). */
import type { TypeOf } from "../../Codec.js"
import { list, optional, struct } from "../../Combinators.js"
import { bytes32, G2Element, uint32, uint64 } from "../../Primitives.js"
import { Coin } from "./coin.js"

export const PoolTarget = struct("PoolTarget", { puzzle_hash: bytes32, max_height: uint32 })
export type PoolTarget = TypeOf<typeof PoolTarget>

export const FoliageBlockData = struct("FoliageBlockData", {
  unfinished_reward_block_hash: bytes32,
  pool_target: PoolTarget,
  pool_signature: optional(G2Element),
  farmer_reward_puzzle_hash: bytes32,
  extension_data: bytes32
})
export type FoliageBlockData = TypeOf<typeof FoliageBlockData>

export const Foliage = struct("Foliage", {
  prev_block_hash: bytes32,
  reward_block_hash: bytes32,
  foliage_block_data: FoliageBlockData,
  foliage_block_data_signature: G2Element,
  foliage_transaction_block_hash: optional(bytes32),
  foliage_transaction_block_signature: optional(G2Element)
})
export type Foliage = TypeOf<typeof Foliage>

export const FoliageTransactionBlock = struct("FoliageTransactionBlock", {
  prev_transaction_block_hash: bytes32,
  timestamp: uint64,
  filter_hash: bytes32,
  additions_root: bytes32,
  removals_root: bytes32,
  transactions_info_hash: bytes32
})
export type FoliageTransactionBlock = TypeOf<typeof FoliageTransactionBlock>

export const TransactionsInfo = struct("TransactionsInfo", {
  generator_root: bytes32,
  generator_refs_root: bytes32,
  aggregated_signature: G2Element,
  fees: uint64,
  cost: uint64,
  reward_claims_incorporated: list(Coin)
})
export type TransactionsInfo = TypeOf<typeof TransactionsInfo>
