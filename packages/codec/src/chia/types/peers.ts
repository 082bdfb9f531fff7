/** Peer addresses (chia `types/peer_info.py`). */
import type { TypeOf } from "../../Codec.js"
import { struct } from "../../Combinators.js"
import { str, uint16, uint64 } from "../../Primitives.js"

export const PeerInfo = struct("PeerInfo", { host: str, port: uint16 })
export type PeerInfo = TypeOf<typeof PeerInfo>

export const TimestampedPeerInfo = struct("TimestampedPeerInfo", { host: str, port: uint16, timestamp: uint64 })
export type TimestampedPeerInfo = TypeOf<typeof TimestampedPeerInfo>
