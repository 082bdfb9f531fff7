/**
 * The farmer protocol (farmer <-> full node), `chia/protocols/farmer_protocol.py`: messages 8–12 and the signage
 * point source data they carry. Python defaults (sp_source_data, filter_challenge, include_signature_source_data, the
 * trailing Optionals of RequestSignedValues) do not make fields optional on the wire: every field is always present
 * (§G.5).
 */
import type { TypeOf } from "../../Codec.js"
import { optional, struct } from "../../Combinators.js"
import { bool, bytes32, G2Element, uint32, uint64, uint8 } from "../../Primitives.js"
import {
  ChallengeChainSubSlot,
  ClassgroupElement,
  FoliageBlockData,
  FoliageTransactionBlock,
  PoolTarget,
  ProofOfSpace,
  RewardChainBlockUnfinished,
  RewardChainSubSlot
} from "../types/index.js"

export const SPSubSlotSourceData = struct("SPSubSlotSourceData", {
  cc_sub_slot: ChallengeChainSubSlot,
  rc_sub_slot: RewardChainSubSlot
})
export type SPSubSlotSourceData = TypeOf<typeof SPSubSlotSourceData>

export const SPVDFSourceData = struct("SPVDFSourceData", { cc_vdf: ClassgroupElement, rc_vdf: ClassgroupElement })
export type SPVDFSourceData = TypeOf<typeof SPVDFSourceData>

export const SignagePointSourceData = struct("SignagePointSourceData", {
  sub_slot_data: optional(SPSubSlotSourceData),
  vdf_data: optional(SPVDFSourceData)
})
export type SignagePointSourceData = TypeOf<typeof SignagePointSourceData>

export const NewSignagePoint = struct("NewSignagePoint", {
  challenge_hash: bytes32,
  challenge_chain_sp: bytes32,
  reward_chain_sp: bytes32,
  difficulty: uint64,
  sub_slot_iters: uint64,
  signage_point_index: uint8,
  peak_height: uint32,
  last_tx_height: uint32,
  sp_source_data: optional(SignagePointSourceData),
  filter_challenge: optional(bytes32)
})
export type NewSignagePoint = TypeOf<typeof NewSignagePoint>

export const DeclareProofOfSpace = struct("DeclareProofOfSpace", {
  challenge_hash: bytes32,
  challenge_chain_sp: bytes32,
  signage_point_index: uint8,
  reward_chain_sp: bytes32,
  proof_of_space: ProofOfSpace,
  challenge_chain_sp_signature: G2Element,
  reward_chain_sp_signature: G2Element,
  farmer_puzzle_hash: bytes32,
  pool_target: optional(PoolTarget),
  pool_signature: optional(G2Element),
  include_signature_source_data: bool
})
export type DeclareProofOfSpace = TypeOf<typeof DeclareProofOfSpace>

export const RequestSignedValues = struct("RequestSignedValues", {
  quality_string: bytes32,
  foliage_block_data_hash: bytes32,
  foliage_transaction_block_hash: bytes32,
  foliage_block_data: optional(FoliageBlockData),
  foliage_transaction_block_data: optional(FoliageTransactionBlock),
  rc_block_unfinished: optional(RewardChainBlockUnfinished)
})
export type RequestSignedValues = TypeOf<typeof RequestSignedValues>

export const FarmingInfo = struct("FarmingInfo", {
  challenge_hash: bytes32,
  sp_hash: bytes32,
  timestamp: uint64,
  passed: uint32,
  proofs: uint32,
  total_plots: uint32,
  lookup_time: uint64
})
export type FarmingInfo = TypeOf<typeof FarmingInfo>

export const SignedValues = struct("SignedValues", {
  quality_string: bytes32,
  foliage_block_data_signature: G2Element,
  foliage_transaction_block_signature: G2Element
})
export type SignedValues = TypeOf<typeof SignedValues>

/** Every farmer class by its reference name. */
export const farmerClasses = {
  NewSignagePoint,
  DeclareProofOfSpace,
  RequestSignedValues,
  FarmingInfo,
  SignedValues,
  SignagePointSourceData,
  SPSubSlotSourceData,
  SPVDFSourceData
} as const
