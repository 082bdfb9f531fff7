/**
 * The simulator protocol, `chia/simulator/simulator_protocol.py`: message 65 `farm_new_block` (simulator only; upstream
 * now drives it over RPC).
 */
import type { TypeOf } from "../../Codec.js"
import { struct } from "../../Combinators.js"
import { bytes32 } from "../../Primitives.js"

export const FarmNewBlockProtocol = struct("FarmNewBlockProtocol", { puzzle_hash: bytes32 })
export type FarmNewBlockProtocol = TypeOf<typeof FarmNewBlockProtocol>

/** Every simulator class by its reference name. */
export const simulatorClasses = { FarmNewBlockProtocol } as const
