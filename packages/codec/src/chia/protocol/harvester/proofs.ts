/**
 * Harvester protocol: handshake, signage points, proofs and signatures (`chia/protocols/harvester_protocol.py`,
 * messages 3, 5–7, 66, 110).
 */
import type { TypeOf } from "../../../Codec.js"
import { list, optional, struct, tuple } from "../../../Combinators.js"
import { bool, bytes, bytes32, G1Element, G2Element, str, uint16, uint32, uint64, uint8 } from "../../../Primitives.js"
import { PartialProof, ProofOfSpace, RewardChainBlockUnfinished } from "../../types/index.js"

export const HarvesterHandshake = struct("HarvesterHandshake", {
  farmer_public_keys: list(G1Element),
  pool_public_keys: list(G1Element)
})
export type HarvesterHandshake = TypeOf<typeof HarvesterHandshake>

export const PoolDifficulty = struct("PoolDifficulty", {
  difficulty: uint64,
  sub_slot_iters: uint64,
  pool_contract_puzzle_hash: bytes32
})
export type PoolDifficulty = TypeOf<typeof PoolDifficulty>

/** Type 66 for harvesters with protocol_version <= 0.0.36 (§G.4). */
export const NewSignagePointHarvester = struct("NewSignagePointHarvester", {
  challenge_hash: bytes32,
  difficulty: uint64,
  sub_slot_iters: uint64,
  signage_point_index: uint8,
  sp_hash: bytes32,
  pool_difficulties: list(PoolDifficulty),
  filter_prefix_bits: uint8
})
export type NewSignagePointHarvester = TypeOf<typeof NewSignagePointHarvester>

/** Type 66 for harvesters with protocol_version >= 0.0.38 (§G.4). */
export const NewSignagePointHarvester2 = struct("NewSignagePointHarvester2", {
  challenge_hash: bytes32,
  difficulty: uint64,
  sub_slot_iters: uint64,
  signage_point_index: uint8,
  sp_hash: bytes32,
  pool_difficulties: list(PoolDifficulty),
  peak_height: uint32,
  last_tx_height: uint32,
  filter_challenge: optional(bytes32)
})
export type NewSignagePointHarvester2 = TypeOf<typeof NewSignagePointHarvester2>

export const ProofOfSpaceFeeInfo = struct("ProofOfSpaceFeeInfo", { applied_fee_threshold: uint32 })
export type ProofOfSpaceFeeInfo = TypeOf<typeof ProofOfSpaceFeeInfo>

export const NewProofOfSpace = struct("NewProofOfSpace", {
  challenge_hash: bytes32,
  sp_hash: bytes32,
  plot_identifier: str,
  proof: ProofOfSpace,
  signage_point_index: uint8,
  include_source_signature_data: bool,
  farmer_reward_address_override: optional(bytes32),
  fee_info: optional(ProofOfSpaceFeeInfo)
})
export type NewProofOfSpace = TypeOf<typeof NewProofOfSpace>

export const PartialProofsData = struct("PartialProofsData", {
  challenge_hash: bytes32,
  sp_hash: bytes32,
  plot_identifier: str,
  partial_proofs: list(PartialProof),
  signage_point_index: uint8,
  plot_size: uint8,
  plot_index: uint16,
  meta_group: uint8,
  strength: uint8,
  plot_id: bytes32,
  pool_public_key: optional(G1Element),
  pool_contract_puzzle_hash: optional(bytes32),
  plot_public_key: G1Element
})
export type PartialProofsData = TypeOf<typeof PartialProofsData>

/**
 * `kind`: SigningDataKind (1 FOLIAGE_BLOCK_DATA, 2 FOLIAGE_TRANSACTION_BLOCK, 3 CHALLENGE_CHAIN_VDF,
 * 4 REWARD_CHAIN_VDF, 5 CHALLENGE_CHAIN_SUB_SLOT, 6 REWARD_CHAIN_SUB_SLOT, 7 PARTIAL), a plain uint8 on the wire (§E).
 */
export const SignatureRequestSourceData = struct("SignatureRequestSourceData", { kind: uint8, data: bytes })
export type SignatureRequestSourceData = TypeOf<typeof SignatureRequestSourceData>

export const RequestSignatures = struct("RequestSignatures", {
  plot_identifier: str,
  challenge_hash: bytes32,
  sp_hash: bytes32,
  messages: list(bytes32),
  message_data: optional(list(optional(SignatureRequestSourceData))),
  rc_block_unfinished: optional(RewardChainBlockUnfinished)
})
export type RequestSignatures = TypeOf<typeof RequestSignatures>

export const RespondSignatures = struct("RespondSignatures", {
  plot_identifier: str,
  challenge_hash: bytes32,
  sp_hash: bytes32,
  local_pk: G1Element,
  farmer_pk: G1Element,
  message_signatures: list(tuple(bytes32, G2Element)),
  include_source_signature_data: bool,
  farmer_reward_address_override: optional(bytes32)
})
export type RespondSignatures = TypeOf<typeof RespondSignatures>
