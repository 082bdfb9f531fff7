/** Timelord protocol, timelord <-> full node (chia `protocols/timelord_protocol.py`). */
import type { TypeOf } from "../../Codec.js"
import { list, optional, struct, tuple } from "../../Combinators.js"
import { bool, bytes32, uint128, uint32, uint64, uint8 } from "../../Primitives.js"
import { Foliage } from "../types/foliage.js"
import { RewardChainBlock, RewardChainBlockUnfinished } from "../types/rewardChain.js"
import { EndOfSubSlotBundle } from "../types/slots.js"
import { SubEpochSummary } from "../types/subEpoch.js"
import { VDFInfo, VDFProof } from "../types/vdf.js"

export const NewPeakTimelord = struct("NewPeakTimelord", {
  reward_chain_block: RewardChainBlock,
  difficulty: uint64,
  deficit: uint8,
  sub_slot_iters: uint64,
  sub_epoch_summary: optional(SubEpochSummary),
  previous_reward_challenges: list(tuple(bytes32, uint128)),
  last_challenge_sb_or_eos_total_iters: uint128,
  passes_ses_height_but_not_yet_included: bool
})
export type NewPeakTimelord = TypeOf<typeof NewPeakTimelord>

export const NewUnfinishedBlockTimelord = struct("NewUnfinishedBlockTimelord", {
  reward_chain_block: RewardChainBlockUnfinished,
  difficulty: uint64,
  sub_slot_iters: uint64,
  foliage: Foliage,
  sub_epoch_summary: optional(SubEpochSummary),
  rc_prev: bytes32,
  header_mmr_root: optional(bytes32)
})
export type NewUnfinishedBlockTimelord = TypeOf<typeof NewUnfinishedBlockTimelord>

export const NewInfusionPointVDF = struct("NewInfusionPointVDF", {
  unfinished_reward_hash: bytes32,
  challenge_chain_ip_vdf: VDFInfo,
  challenge_chain_ip_proof: VDFProof,
  reward_chain_ip_vdf: VDFInfo,
  reward_chain_ip_proof: VDFProof,
  infused_challenge_chain_ip_vdf: optional(VDFInfo),
  infused_challenge_chain_ip_proof: optional(VDFProof)
})
export type NewInfusionPointVDF = TypeOf<typeof NewInfusionPointVDF>

export const NewSignagePointVDF = struct("NewSignagePointVDF", {
  index_from_challenge: uint8,
  challenge_chain_sp_vdf: VDFInfo,
  challenge_chain_sp_proof: VDFProof,
  reward_chain_sp_vdf: VDFInfo,
  reward_chain_sp_proof: VDFProof
})
export type NewSignagePointVDF = TypeOf<typeof NewSignagePointVDF>

export const NewEndOfSubSlotVDF = struct("NewEndOfSubSlotVDF", { end_of_sub_slot_bundle: EndOfSubSlotBundle })
export type NewEndOfSubSlotVDF = TypeOf<typeof NewEndOfSubSlotVDF>

export const RequestCompactProofOfTime = struct("RequestCompactProofOfTime", {
  new_proof_of_time: VDFInfo,
  header_hash: bytes32,
  height: uint32,
  field_vdf: uint8
})
export type RequestCompactProofOfTime = TypeOf<typeof RequestCompactProofOfTime>

export const RespondCompactProofOfTime = struct("RespondCompactProofOfTime", {
  vdf_info: VDFInfo,
  vdf_proof: VDFProof,
  header_hash: bytes32,
  height: uint32,
  field_vdf: uint8
})
export type RespondCompactProofOfTime = TypeOf<typeof RespondCompactProofOfTime>

/** Every timelord class by its reference name. */
export const timelordClasses = {
  NewPeakTimelord,
  NewUnfinishedBlockTimelord,
  NewInfusionPointVDF,
  NewSignagePointVDF,
  NewEndOfSubSlotVDF,
  RequestCompactProofOfTime,
  RespondCompactProofOfTime
} as const
