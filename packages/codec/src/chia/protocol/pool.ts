/**
 * The pool protocol, `chia/protocols/pool_protocol.py`. Farmer and pool speak it as HTTP + JSON, never over the P2P
 * websocket; the classes are still Streamable (signatures cover their bytes) and appear in the official vectors.
 */
import type { TypeOf } from "../../Codec.js"
import { optional, struct } from "../../Combinators.js"
import { bool, bytes32, G1Element, G2Element, str, uint16, uint32, uint64, uint8 } from "../../Primitives.js"
import { SerializedProgram } from "../../Program.js"
import { ProofOfSpace } from "../types/index.js"

export const AuthenticationPayloadV1 = struct("AuthenticationPayloadV1", {
  method_name: str,
  launcher_id: bytes32,
  target_puzzle_hash: bytes32,
  authentication_token: uint64
})
export type AuthenticationPayloadV1 = TypeOf<typeof AuthenticationPayloadV1>

export const GetAuthRequest = struct("GetAuthRequest", {
  launcher_id: bytes32,
  timestamp: uint64,
  signature: G2Element
})
export type GetAuthRequest = TypeOf<typeof GetAuthRequest>

export const GetAuthResponse = struct("GetAuthResponse", { authentication_token: str, expiration: uint64 })
export type GetAuthResponse = TypeOf<typeof GetAuthResponse>

export const GetPoolInfoResponse = struct("GetPoolInfoResponse", {
  name: str,
  logo_url: str,
  minimum_difficulty: uint64,
  relative_lock_height: uint32,
  protocol_version: uint8,
  fee: str,
  description: str,
  target_puzzle_hash: bytes32,
  authentication_token_timeout: uint8,
  pool_memoization: SerializedProgram
})
export type GetPoolInfoResponse = TypeOf<typeof GetPoolInfoResponse>

export const PostPartialPayload = struct("PostPartialPayload", {
  launcher_id: bytes32,
  authentication_token: uint64,
  proof_of_space: ProofOfSpace,
  sp_hash: bytes32,
  end_of_sub_slot: bool,
  harvester_id: bytes32
})
export type PostPartialPayload = TypeOf<typeof PostPartialPayload>

export const PostPartialRequest = struct("PostPartialRequest", {
  payload: PostPartialPayload,
  authentication_token_v2: str,
  aggregate_signature: G2Element
})
export type PostPartialRequest = TypeOf<typeof PostPartialRequest>

export const PostPartialResponse = struct("PostPartialResponse", { new_difficulty: uint64 })
export type PostPartialResponse = TypeOf<typeof PostPartialResponse>

export const GetFarmerRequestV2 = struct("GetFarmerRequestV2", {
  authentication_token: uint64,
  launcher_id: bytes32,
  authentication_token_v2: str
})
export type GetFarmerRequestV2 = TypeOf<typeof GetFarmerRequestV2>

export const GetFarmerRequestV1 = struct("GetFarmerRequestV1", {
  authentication_token: uint64,
  launcher_id: bytes32,
  authentication_token_v2: str,
  signature: optional(G2Element)
})
export type GetFarmerRequestV1 = TypeOf<typeof GetFarmerRequestV1>

export const GetFarmerResponse = struct("GetFarmerResponse", {
  authentication_public_key: G1Element,
  payout_instructions: str,
  current_difficulty: uint64,
  current_points: uint64
})
export type GetFarmerResponse = TypeOf<typeof GetFarmerResponse>

export const PostFarmerPayload = struct("PostFarmerPayload", {
  launcher_id: bytes32,
  authentication_token: uint64,
  authentication_public_key: G1Element,
  payout_instructions: str,
  suggested_difficulty: optional(uint64)
})
export type PostFarmerPayload = TypeOf<typeof PostFarmerPayload>

export const PostFarmerRequest = struct("PostFarmerRequest", { payload: PostFarmerPayload, signature: G2Element })
export type PostFarmerRequest = TypeOf<typeof PostFarmerRequest>

export const PostFarmerResponse = struct("PostFarmerResponse", { welcome_message: str })
export type PostFarmerResponse = TypeOf<typeof PostFarmerResponse>

export const PutFarmerPayload = struct("PutFarmerPayload", {
  launcher_id: bytes32,
  authentication_token: uint64,
  authentication_public_key: optional(G1Element),
  payout_instructions: optional(str),
  suggested_difficulty: optional(uint64),
  authentication_token_v2: str
})
export type PutFarmerPayload = TypeOf<typeof PutFarmerPayload>

export const PutFarmerRequest = struct("PutFarmerRequest", {
  payload: PutFarmerPayload,
  signature: optional(G2Element)
})
export type PutFarmerRequest = TypeOf<typeof PutFarmerRequest>

export const PutFarmerResponse = struct("PutFarmerResponse", {
  authentication_public_key: optional(bool),
  payout_instructions: optional(bool),
  suggested_difficulty: optional(bool)
})
export type PutFarmerResponse = TypeOf<typeof PutFarmerResponse>

/** `error_code` is a PoolErrorCode number, a plain uint16 on the wire. */
export const ErrorResponse = struct("ErrorResponse", { error_code: uint16, error_message: optional(str) })
export type ErrorResponse = TypeOf<typeof ErrorResponse>

/** Every pool class by its reference name. */
export const poolClasses = {
  AuthenticationPayloadV1,
  GetAuthRequest,
  GetAuthResponse,
  GetPoolInfoResponse,
  PostPartialPayload,
  PostPartialRequest,
  PostPartialResponse,
  GetFarmerRequestV2,
  GetFarmerRequestV1,
  GetFarmerResponse,
  PostFarmerPayload,
  PostFarmerRequest,
  PostFarmerResponse,
  PutFarmerPayload,
  PutFarmerRequest,
  PutFarmerResponse,
  ErrorResponse
} as const
