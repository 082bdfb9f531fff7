/**
 * Sub-epoch summaries (chia_rs `sub_epoch_summary.rs`, `weight_proof.rs`), both with a custom encoding (§D.3): the last
 * two Optionals share one prefix byte. Note the opposite order of difficulty and sub-slot iterations in the two types.
 */
import type { TypeOf } from "../../Codec.js"
import { optional } from "../../Combinators.js"
import { bytes32, uint64, uint8 } from "../../Primitives.js"
import { optionalPair, packed, plain } from "./packed.js"

export const SubEpochSummary = packed(
  "SubEpochSummary",
  plain({
    prev_subepoch_summary_hash: bytes32,
    reward_chain_hash: bytes32,
    num_blocks_overflow: uint8,
    new_difficulty: optional(uint64)
  }),
  optionalPair("SubEpochSummary", "new_sub_slot_iters", uint64, "challenge_merkle_root", bytes32)
)
export type SubEpochSummary = TypeOf<typeof SubEpochSummary>

export const SubEpochData = packed(
  "SubEpochData",
  plain({ reward_chain_hash: bytes32, num_blocks_overflow: uint8, new_sub_slot_iters: optional(uint64) }),
  optionalPair("SubEpochData", "new_difficulty", uint64, "challenge_merkle_root", bytes32)
)
export type SubEpochData = TypeOf<typeof SubEpochData>
