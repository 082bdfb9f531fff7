/**
 * The solver protocol (farmer <-> solver), `chia/protocols/solver_protocol.py`: messages 109 `solve` and 108
 * `solution_response`.
 */
import type { TypeOf } from "../../Codec.js"
import { struct } from "../../Combinators.js"
import { bytes, bytes32, uint8 } from "../../Primitives.js"
import { PartialProof } from "../types/index.js"

export const SolverInfo = struct("SolverInfo", {
  partial_proof: PartialProof,
  plot_id: bytes32,
  strength: uint8,
  size: uint8
})
export type SolverInfo = TypeOf<typeof SolverInfo>

export const SolverResponse = struct("SolverResponse", { partial_proof: PartialProof, proof: bytes })
export type SolverResponse = TypeOf<typeof SolverResponse>

/** Every solver class by its reference name. */
export const solverClasses = { SolverInfo, SolverResponse } as const
