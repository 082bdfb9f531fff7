/** Coins and spends (chia_rs `coin.rs`, `coin_state.rs`, `coin_spend.rs`, `spend_bundle.rs`). */
import type { TypeOf } from "../../Codec.js"
import { list, optional, struct } from "../../Combinators.js"
import { bytes32, G2Element, uint32, uint64 } from "../../Primitives.js"
import { SerializedProgram } from "../../Program.js"

export const Coin = struct("Coin", { parent_coin_info: bytes32, puzzle_hash: bytes32, amount: uint64 })
export type Coin = TypeOf<typeof Coin>

export const CoinState = struct("CoinState", {
  coin: Coin,
  spent_height: optional(uint32),
  created_height: optional(uint32)
})
export type CoinState = TypeOf<typeof CoinState>

export const CoinSpend = struct("CoinSpend", {
  coin: Coin,
  puzzle_reveal: SerializedProgram,
  solution: SerializedProgram
})
export type CoinSpend = TypeOf<typeof CoinSpend>

export const SpendBundle = struct("SpendBundle", { coin_spends: list(CoinSpend), aggregated_signature: G2Element })
export type SpendBundle = TypeOf<typeof SpendBundle>
