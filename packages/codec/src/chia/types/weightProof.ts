/** Weight proofs (chia_rs `weight_proof.rs`; chia `types/weight_proof.py`). */
import type { TypeOf } from "../../Codec.js"
import { list, optional, struct } from "../../Combinators.js"
import { uint128, uint32, uint8 } from "../../Primitives.js"
import { HeaderBlock } from "./blocks.js"
import { ProofOfSpace } from "./proofOfSpace.js"
import { SubEpochData } from "./subEpoch.js"
import { VDFInfo, VDFProof } from "./vdf.js"

export const SubSlotData = struct("SubSlotData", {
  proof_of_space: optional(ProofOfSpace),
  cc_signage_point: optional(VDFProof),
  cc_infusion_point: optional(VDFProof),
  icc_infusion_point: optional(VDFProof),
  cc_sp_vdf_info: optional(VDFInfo),
  signage_point_index: optional(uint8),
  cc_slot_end: optional(VDFProof),
  icc_slot_end: optional(VDFProof),
  cc_slot_end_info: optional(VDFInfo),
  icc_slot_end_info: optional(VDFInfo),
  cc_ip_vdf_info: optional(VDFInfo),
  icc_ip_vdf_info: optional(VDFInfo),
  total_iters: optional(uint128)
})
export type SubSlotData = TypeOf<typeof SubSlotData>

export const SubEpochChallengeSegment = struct("SubEpochChallengeSegment", {
  sub_epoch_n: uint32,
  sub_slots: list(SubSlotData),
  rc_slot_end_info: optional(VDFInfo)
})
export type SubEpochChallengeSegment = TypeOf<typeof SubEpochChallengeSegment>

export const WeightProof = struct("WeightProof", {
  sub_epochs: list(SubEpochData),
  sub_epoch_segments: list(SubEpochChallengeSegment),
  recent_chain_data: list(HeaderBlock)
})
export type WeightProof = TypeOf<typeof WeightProof>

export const RecentChainData = struct("RecentChainData", { recent_chain_data: list(HeaderBlock) })
export type RecentChainData = TypeOf<typeof RecentChainData>
