/**
 * Wallet protocol: peaks, header blocks, additions and removals (`chia/protocols/wallet_protocol.py`, messages 50–62,
 * 86–88).
 */
import type { TypeOf } from "../../../Codec.js"
import { list, optional, struct, tuple } from "../../../Combinators.js"
import { bool, bytes, bytes32, uint128, uint32 } from "../../../Primitives.js"
import { Coin, HeaderBlock } from "../../types/index.js"

export const NewPeakWallet = struct("NewPeakWallet", {
  header_hash: bytes32,
  height: uint32,
  weight: uint128,
  fork_point_with_previous_peak: uint32
})
export type NewPeakWallet = TypeOf<typeof NewPeakWallet>

export const RequestBlockHeader = struct("RequestBlockHeader", { height: uint32 })
export type RequestBlockHeader = TypeOf<typeof RequestBlockHeader>

export const RespondBlockHeader = struct("RespondBlockHeader", { header_block: HeaderBlock })
export type RespondBlockHeader = TypeOf<typeof RespondBlockHeader>

export const RejectHeaderRequest = struct("RejectHeaderRequest", { height: uint32 })
export type RejectHeaderRequest = TypeOf<typeof RejectHeaderRequest>

export const RequestRemovals = struct("RequestRemovals", {
  height: uint32,
  header_hash: bytes32,
  coin_names: optional(list(bytes32))
})
export type RequestRemovals = TypeOf<typeof RequestRemovals>

export const RespondRemovals = struct("RespondRemovals", {
  height: uint32,
  header_hash: bytes32,
  coins: list(tuple(bytes32, optional(Coin))),
  proofs: optional(list(tuple(bytes32, bytes)))
})
export type RespondRemovals = TypeOf<typeof RespondRemovals>

export const RejectRemovalsRequest = struct("RejectRemovalsRequest", { height: uint32, header_hash: bytes32 })
export type RejectRemovalsRequest = TypeOf<typeof RejectRemovalsRequest>

export const RequestAdditions = struct("RequestAdditions", {
  height: uint32,
  header_hash: optional(bytes32),
  puzzle_hashes: optional(list(bytes32))
})
export type RequestAdditions = TypeOf<typeof RequestAdditions>

export const RespondAdditions = struct("RespondAdditions", {
  height: uint32,
  header_hash: bytes32,
  coins: list(tuple(bytes32, list(Coin))),
  proofs: optional(list(tuple(bytes32, bytes, optional(bytes))))
})
export type RespondAdditions = TypeOf<typeof RespondAdditions>

export const RejectAdditionsRequest = struct("RejectAdditionsRequest", { height: uint32, header_hash: bytes32 })
export type RejectAdditionsRequest = TypeOf<typeof RejectAdditionsRequest>

export const RequestHeaderBlocks = struct("RequestHeaderBlocks", { start_height: uint32, end_height: uint32 })
export type RequestHeaderBlocks = TypeOf<typeof RequestHeaderBlocks>

export const RejectHeaderBlocks = struct("RejectHeaderBlocks", { start_height: uint32, end_height: uint32 })
export type RejectHeaderBlocks = TypeOf<typeof RejectHeaderBlocks>

export const RespondHeaderBlocks = struct("RespondHeaderBlocks", {
  start_height: uint32,
  end_height: uint32,
  header_blocks: list(HeaderBlock)
})
export type RespondHeaderBlocks = TypeOf<typeof RespondHeaderBlocks>

export const RequestBlockHeaders = struct("RequestBlockHeaders", {
  start_height: uint32,
  end_height: uint32,
  return_filter: bool
})
export type RequestBlockHeaders = TypeOf<typeof RequestBlockHeaders>

export const RejectBlockHeaders = struct("RejectBlockHeaders", { start_height: uint32, end_height: uint32 })
export type RejectBlockHeaders = TypeOf<typeof RejectBlockHeaders>

export const RespondBlockHeaders = struct("RespondBlockHeaders", {
  start_height: uint32,
  end_height: uint32,
  header_blocks: list(HeaderBlock)
})
export type RespondBlockHeaders = TypeOf<typeof RespondBlockHeaders>
