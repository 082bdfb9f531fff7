/** Sub-slots and their proofs (chia_rs `slots.rs`, `end_of_sub_slot_bundle.rs`). */
import type { TypeOf } from "../../Codec.js"
import { optional, struct } from "../../Combinators.js"
import { bytes32, G2Element, uint64, uint8 } from "../../Primitives.js"
import { ProofOfSpace } from "./proofOfSpace.js"
import { VDFInfo, VDFProof } from "./vdf.js"

export const ChallengeBlockInfo = struct("ChallengeBlockInfo", {
  proof_of_space: ProofOfSpace,
  challenge_chain_sp_vdf: optional(VDFInfo),
  challenge_chain_sp_signature: G2Element,
  challenge_chain_ip_vdf: VDFInfo
})
export type ChallengeBlockInfo = TypeOf<typeof ChallengeBlockInfo>

export const ChallengeChainSubSlot = struct("ChallengeChainSubSlot", {
  challenge_chain_end_of_slot_vdf: VDFInfo,
  infused_challenge_chain_sub_slot_hash: optional(bytes32),
  subepoch_summary_hash: optional(bytes32),
  new_sub_slot_iters: optional(uint64),
  new_difficulty: optional(uint64)
})
export type ChallengeChainSubSlot = TypeOf<typeof ChallengeChainSubSlot>

export const InfusedChallengeChainSubSlot = struct("InfusedChallengeChainSubSlot", {
  infused_challenge_chain_end_of_slot_vdf: VDFInfo
})
export type InfusedChallengeChainSubSlot = TypeOf<typeof InfusedChallengeChainSubSlot>

export const RewardChainSubSlot = struct("RewardChainSubSlot", {
  end_of_slot_vdf: VDFInfo,
  challenge_chain_sub_slot_hash: bytes32,
  infused_challenge_chain_sub_slot_hash: optional(bytes32),
  deficit: uint8
})
export type RewardChainSubSlot = TypeOf<typeof RewardChainSubSlot>

export const SubSlotProofs = struct("SubSlotProofs", {
  challenge_chain_slot_proof: VDFProof,
  infused_challenge_chain_slot_proof: optional(VDFProof),
  reward_chain_slot_proof: VDFProof
})
export type SubSlotProofs = TypeOf<typeof SubSlotProofs>

export const EndOfSubSlotBundle = struct("EndOfSubSlotBundle", {
  challenge_chain: ChallengeChainSubSlot,
  infused_challenge_chain: optional(InfusedChallengeChainSubSlot),
  reward_chain: RewardChainSubSlot,
  proofs: SubSlotProofs
})
export type EndOfSubSlotBundle = TypeOf<typeof EndOfSubSlotBundle>
