/** Full node protocol, full node <-> full node (chia `protocols/full_node_protocol.py`). */
import type { TypeOf } from "../../Codec.js"
import { list, optional, struct } from "../../Combinators.js"
import { bool, bytes, bytes32, uint128, uint32, uint64, uint8 } from "../../Primitives.js"
import { FullBlock, UnfinishedBlock } from "../types/blocks.js"
import { SpendBundle } from "../types/coin.js"
import { TimestampedPeerInfo } from "../types/peers.js"
import { EndOfSubSlotBundle } from "../types/slots.js"
import { VDFInfo, VDFProof } from "../types/vdf.js"
import { WeightProof } from "../types/weightProof.js"

export const NewPeak = struct("NewPeak", {
  header_hash: bytes32,
  height: uint32,
  weight: uint128,
  fork_point_with_previous_peak: uint32,
  unfinished_reward_block_hash: bytes32
})
export type NewPeak = TypeOf<typeof NewPeak>

export const NewTransaction = struct("NewTransaction", { transaction_id: bytes32, cost: uint64, fees: uint64 })
export type NewTransaction = TypeOf<typeof NewTransaction>

export const RequestTransaction = struct("RequestTransaction", { transaction_id: bytes32 })
export type RequestTransaction = TypeOf<typeof RequestTransaction>

export const RespondTransaction = struct("RespondTransaction", { transaction: SpendBundle })
export type RespondTransaction = TypeOf<typeof RespondTransaction>

export const RequestProofOfWeight = struct("RequestProofOfWeight", { total_number_of_blocks: uint32, tip: bytes32 })
export type RequestProofOfWeight = TypeOf<typeof RequestProofOfWeight>

export const RespondProofOfWeight = struct("RespondProofOfWeight", { wp: WeightProof, tip: bytes32 })
export type RespondProofOfWeight = TypeOf<typeof RespondProofOfWeight>

export const RequestBlock = struct("RequestBlock", { height: uint32, include_transaction_block: bool })
export type RequestBlock = TypeOf<typeof RequestBlock>

export const RejectBlock = struct("RejectBlock", { height: uint32 })
export type RejectBlock = TypeOf<typeof RejectBlock>

export const RequestBlocks = struct("RequestBlocks", {
  start_height: uint32,
  end_height: uint32,
  include_transaction_block: bool
})
export type RequestBlocks = TypeOf<typeof RequestBlocks>

export const RespondBlocks = struct("RespondBlocks", {
  start_height: uint32,
  end_height: uint32,
  blocks: list(FullBlock)
})
export type RespondBlocks = TypeOf<typeof RespondBlocks>

export const RejectBlocks = struct("RejectBlocks", { start_height: uint32, end_height: uint32 })
export type RejectBlocks = TypeOf<typeof RejectBlocks>

export const RespondBlock = struct("RespondBlock", { block: FullBlock })
export type RespondBlock = TypeOf<typeof RespondBlock>

export const NewUnfinishedBlock = struct("NewUnfinishedBlock", { unfinished_reward_hash: bytes32 })
export type NewUnfinishedBlock = TypeOf<typeof NewUnfinishedBlock>

export const RequestUnfinishedBlock = struct("RequestUnfinishedBlock", { unfinished_reward_hash: bytes32 })
export type RequestUnfinishedBlock = TypeOf<typeof RequestUnfinishedBlock>

export const NewUnfinishedBlock2 = struct("NewUnfinishedBlock2", {
  unfinished_reward_hash: bytes32,
  foliage_hash: optional(bytes32)
})
export type NewUnfinishedBlock2 = TypeOf<typeof NewUnfinishedBlock2>

export const RequestUnfinishedBlock2 = struct("RequestUnfinishedBlock2", {
  unfinished_reward_hash: bytes32,
  foliage_hash: optional(bytes32)
})
export type RequestUnfinishedBlock2 = TypeOf<typeof RequestUnfinishedBlock2>

export const RespondUnfinishedBlock = struct("RespondUnfinishedBlock", { unfinished_block: UnfinishedBlock })
export type RespondUnfinishedBlock = TypeOf<typeof RespondUnfinishedBlock>

export const NewSignagePointOrEndOfSubSlot = struct("NewSignagePointOrEndOfSubSlot", {
  prev_challenge_hash: optional(bytes32),
  challenge_hash: bytes32,
  index_from_challenge: uint8,
  last_rc_infusion: bytes32
})
export type NewSignagePointOrEndOfSubSlot = TypeOf<typeof NewSignagePointOrEndOfSubSlot>

export const RequestSignagePointOrEndOfSubSlot = struct("RequestSignagePointOrEndOfSubSlot", {
  challenge_hash: bytes32,
  index_from_challenge: uint8,
  last_rc_infusion: bytes32
})
export type RequestSignagePointOrEndOfSubSlot = TypeOf<typeof RequestSignagePointOrEndOfSubSlot>

export const RespondSignagePoint = struct("RespondSignagePoint", {
  index_from_challenge: uint8,
  challenge_chain_vdf: VDFInfo,
  challenge_chain_proof: VDFProof,
  reward_chain_vdf: VDFInfo,
  reward_chain_proof: VDFProof
})
export type RespondSignagePoint = TypeOf<typeof RespondSignagePoint>

export const RespondEndOfSubSlot = struct("RespondEndOfSubSlot", { end_of_slot_bundle: EndOfSubSlotBundle })
export type RespondEndOfSubSlot = TypeOf<typeof RespondEndOfSubSlot>

export const RequestMempoolTransactions = struct("RequestMempoolTransactions", { filter: bytes })
export type RequestMempoolTransactions = TypeOf<typeof RequestMempoolTransactions>

export const NewCompactVDF = struct("NewCompactVDF", {
  height: uint32,
  header_hash: bytes32,
  field_vdf: uint8,
  vdf_info: VDFInfo
})
export type NewCompactVDF = TypeOf<typeof NewCompactVDF>

export const RequestCompactVDF = struct("RequestCompactVDF", {
  height: uint32,
  header_hash: bytes32,
  field_vdf: uint8,
  vdf_info: VDFInfo
})
export type RequestCompactVDF = TypeOf<typeof RequestCompactVDF>

export const RespondCompactVDF = struct("RespondCompactVDF", {
  height: uint32,
  header_hash: bytes32,
  field_vdf: uint8,
  vdf_info: VDFInfo,
  vdf_proof: VDFProof
})
export type RespondCompactVDF = TypeOf<typeof RespondCompactVDF>

export const RequestPeers = struct("RequestPeers", {})
export type RequestPeers = TypeOf<typeof RequestPeers>

export const RespondPeers = struct("RespondPeers", { peer_list: list(TimestampedPeerInfo) })
export type RespondPeers = TypeOf<typeof RespondPeers>

/** Every full node class by its reference name. */
export const fullNodeClasses = {
  NewPeak,
  NewTransaction,
  RequestTransaction,
  RespondTransaction,
  RequestProofOfWeight,
  RespondProofOfWeight,
  RequestBlock,
  RejectBlock,
  RequestBlocks,
  RespondBlocks,
  RejectBlocks,
  RespondBlock,
  NewUnfinishedBlock,
  RequestUnfinishedBlock,
  NewUnfinishedBlock2,
  RequestUnfinishedBlock2,
  RespondUnfinishedBlock,
  NewSignagePointOrEndOfSubSlot,
  RequestSignagePointOrEndOfSubSlot,
  RespondSignagePoint,
  RespondEndOfSubSlot,
  RequestMempoolTransactions,
  NewCompactVDF,
  RequestCompactVDF,
  RespondCompactVDF,
  RequestPeers,
  RespondPeers
} as const
