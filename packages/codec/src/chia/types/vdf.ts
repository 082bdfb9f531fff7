/** Verifiable delay functions (chia_rs `classgroup.rs`, `vdf.rs`). */
import type { TypeOf } from "../../Codec.js"
import { struct } from "../../Combinators.js"
import { bool, bytes, bytes100, bytes32, uint64, uint8 } from "../../Primitives.js"

export const ClassgroupElement = struct("ClassgroupElement", { data: bytes100 })
export type ClassgroupElement = TypeOf<typeof ClassgroupElement>

export const VDFInfo = struct("VDFInfo", {
  challenge: bytes32,
  number_of_iterations: uint64,
  output: ClassgroupElement
})
export type VDFInfo = TypeOf<typeof VDFInfo>

export const VDFProof = struct("VDFProof", { witness_type: uint8, witness: bytes, normalized_to_identity: bool })
export type VDFProof = TypeOf<typeof VDFProof>
