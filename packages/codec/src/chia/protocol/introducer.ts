/** Introducer protocol (chia `protocols/introducer_protocol.py`). */
import type { TypeOf } from "../../Codec.js"
import { list, struct } from "../../Combinators.js"
import { TimestampedPeerInfo } from "../types/peers.js"

export const RequestPeersIntroducer = struct("RequestPeersIntroducer", {})
export type RequestPeersIntroducer = TypeOf<typeof RequestPeersIntroducer>

export const RespondPeersIntroducer = struct("RespondPeersIntroducer", { peer_list: list(TimestampedPeerInfo) })
export type RespondPeersIntroducer = TypeOf<typeof RespondPeersIntroducer>

/** Every introducer class by its reference name. */
export const introducerClasses = { RequestPeersIntroducer, RespondPeersIntroducer } as const
