/** Reward chain blocks (chia_rs `reward_chain_block.rs`). */
import type { TypeOf } from "../../Codec.js"
import { optional, struct } from "../../Combinators.js"
import { bool, bytes32, G2Element, uint128, uint32, uint8 } from "../../Primitives.js"
import { optionalPair, packed, plain } from "./packed.js"
import { ProofOfSpace } from "./proofOfSpace.js"
import { VDFInfo } from "./vdf.js"

export const RewardChainBlockUnfinished = struct("RewardChainBlockUnfinished", {
  total_iters: uint128,
  signage_point_index: uint8,
  pos_ss_cc_challenge_hash: bytes32,
  proof_of_space: ProofOfSpace,
  challenge_chain_sp_vdf: optional(VDFInfo),
  challenge_chain_sp_signature: G2Element,
  reward_chain_sp_vdf: optional(VDFInfo),
  reward_chain_sp_signature: G2Element
})
export type RewardChainBlockUnfinished = TypeOf<typeof RewardChainBlockUnfinished>

/**
 * Custom encoding (§D.3): `infused_challenge_chain_ip_vdf` and `header_mmr_root` share one prefix byte
 * (bit 0 = the VDF is present, bit 1 = the root is present); with no root the bytes are the pre-hard-fork layout.
 */
export const RewardChainBlock = packed(
  "RewardChainBlock",
  plain({
    weight: uint128,
    height: uint32,
    total_iters: uint128,
    signage_point_index: uint8,
    pos_ss_cc_challenge_hash: bytes32,
    proof_of_space: ProofOfSpace,
    challenge_chain_sp_vdf: optional(VDFInfo),
    challenge_chain_sp_signature: G2Element,
    challenge_chain_ip_vdf: VDFInfo,
    reward_chain_sp_vdf: optional(VDFInfo),
    reward_chain_sp_signature: G2Element,
    reward_chain_ip_vdf: VDFInfo
  }),
  optionalPair("RewardChainBlock", "infused_challenge_chain_ip_vdf", VDFInfo, "header_mmr_root", bytes32),
  plain({ is_transaction_block: bool })
)
export type RewardChainBlock = TypeOf<typeof RewardChainBlock>
