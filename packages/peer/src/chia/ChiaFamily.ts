/**
 * The Chia protocol family for the generic peer core: the `Message` envelope, the catalogue's payload codecs (in the
 * layout of the remote's protocol version), the reply map, the `Error` (255) reply, the id halves and the verdicts.
 */
import { Either } from "effect"
import { type MessageName, payloadCodecFor, type PayloadOf } from "@peerwire/codec/chia/Catalogue"
import { decodeFrame, encodePayload, headerSize, MAX_MESSAGE_SIZE } from "@peerwire/codec/chia/Message"
import { messageTypeName, ProtocolMessageTypes } from "@peerwire/codec/chia/MessageTypes"
import type { KnownRequest, ResponseOf } from "@peerwire/codec/chia/RequestResponse"
import { expectedReplies } from "@peerwire/codec/chia/RequestResponse"
import type { Error as ChiaErrorPayload } from "@peerwire/codec/chia/protocol/shared"
import { decodeUnsafe } from "@peerwire/codec/Codec"
import { CodecError } from "@peerwire/codec"
import type { Envelope, IdRange, ProtocolFamily, Role } from "../ProtocolFamily.js"
import { CHIA_VERDICTS } from "./ChiaProtocol.js"

/** Message name → payload, for every Chia message type. */
export type ChiaMessages = { readonly [N in MessageName]: PayloadOf<N> }

/** Request name → names of its replies (the state machine's map plus the handlers' `reply_types` pairs). */
export type ChiaReplies = { readonly [N in KnownRequest]: ResponseOf<N> }

/** Ids the dialer allocates: 0 … 2^15 − 1. */
export const DIALER_IDS: IdRange = { first: 0, last: 0x7fff }
/** Ids the listener allocates: 2^15 … 2^16 − 1. */
export const LISTENER_IDS: IdRange = { first: 0x8000, last: 0xffff }

const replySets = new Map<number, ReadonlySet<number> | undefined>()
for (const name of Object.keys(ProtocolMessageTypes) as Array<MessageName>) {
  const replies = expectedReplies(name)
  replySets.set(ProtocolMessageTypes[name], replies && new Set(replies.map((r) => ProtocolMessageTypes[r])))
}

const describe = (e: unknown): string => (e instanceof CodecError ? e.message : String(e))

/**
 * The family for one connection. `remoteProtocolVersion` picks version-dependent payload layouts (type 66 for old
 * harvesters); omitted = the newest layouts.
 */
export const chiaFamily = (remoteProtocolVersion?: string): ProtocolFamily<ChiaMessages> => {
  const layout = { protocolVersion: remoteProtocolVersion }
  // Payload codecs by type number in this connection's layout, looked up once (every frame needs one).
  const codecs: Array<ReturnType<typeof payloadCodecFor> | null> = []
  const codecFor = (type: number) => {
    let codec = codecs[type]
    if (codec === undefined) codecs[type] = codec = payloadCodecFor(type, layout) ?? null
    return codec ?? undefined
  }
  return {
    name: "chia",
    typeOf: (name) => ProtocolMessageTypes[name],
    nameOf: messageTypeName,
    decodeEnvelope: (frame) => {
      const decoded = decodeFrame(frame, MAX_MESSAGE_SIZE)
      if (decoded._tag === "Left") return Either.left(decoded.left.message)
      if (messageTypeName(decoded.right.type) === undefined) {
        return Either.left(`unknown message type ${decoded.right.type}`)
      }
      // A Right holds no left value: the same object serves as `Either<Envelope, string>` (no new allocation per frame).
      return decoded as unknown as Either.Either<Envelope, string>
    },
    decodePayload: (type, data) => {
      const codec = codecFor(type)
      if (codec === undefined) return Either.left(`unknown message type ${type}`)
      try {
        return Either.right(decodeUnsafe(codec, data))
      } catch (e) {
        return Either.left(describe(e))
      }
    },
    encodeFrame: (type, id, payload) => {
      const codec = codecFor(type)
      if (codec === undefined) return Either.left(`unknown message type ${type}`)
      const encoded = encodePayload(type, id, codec, payload, MAX_MESSAGE_SIZE)
      // A Right holds no left value: the same object serves as `Either<Uint8Array, string>`.
      return encoded._tag === "Right"
        ? (encoded as unknown as Either.Either<Uint8Array, string>)
        : Either.left(describe(encoded.left))
    },
    payloadSize: (frame, id) => frame.length - headerSize(id),
    replyTypes: (requestType) => replySets.get(requestType),
    errorReply: {
      type: ProtocolMessageTypes.error,
      read: (payload) => {
        const error = payload as ChiaErrorPayload
        return { code: error.code, message: error.message, data: error.data }
      }
    },
    verdicts: CHIA_VERDICTS,
    idRange: (role: Role) => (role === "dialer" ? DIALER_IDS : LISTENER_IDS)
  }
}
