/**
 * Wallet protocol: puzzle/solution lookups and transactions (`chia/protocols/wallet_protocol.py`, messages 45–49).
 */
import type { TypeOf } from "../../../Codec.js"
import { optional, struct } from "../../../Combinators.js"
import { bytes32, str, uint8, uint32 } from "../../../Primitives.js"
import { SerializedProgram } from "../../../Program.js"
import { SpendBundle } from "../../types/index.js"

export const RequestPuzzleSolution = struct("RequestPuzzleSolution", { coin_name: bytes32, height: uint32 })
export type RequestPuzzleSolution = TypeOf<typeof RequestPuzzleSolution>

export const PuzzleSolutionResponse = struct("PuzzleSolutionResponse", {
  coin_name: bytes32,
  height: uint32,
  puzzle: SerializedProgram,
  solution: SerializedProgram
})
export type PuzzleSolutionResponse = TypeOf<typeof PuzzleSolutionResponse>

export const RespondPuzzleSolution = struct("RespondPuzzleSolution", { response: PuzzleSolutionResponse })
export type RespondPuzzleSolution = TypeOf<typeof RespondPuzzleSolution>

export const RejectPuzzleSolution = struct("RejectPuzzleSolution", { coin_name: bytes32, height: uint32 })
export type RejectPuzzleSolution = TypeOf<typeof RejectPuzzleSolution>

export const SendTransaction = struct("SendTransaction", { transaction: SpendBundle })
export type SendTransaction = TypeOf<typeof SendTransaction>

/** `status` is a MempoolInclusionStatus number, `error` an Err name; plain values on the wire (not validated, §E). */
export const TransactionAck = struct("TransactionAck", { txid: bytes32, status: uint8, error: optional(str) })
export type TransactionAck = TypeOf<typeof TransactionAck>
