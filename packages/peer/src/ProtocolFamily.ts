/**
 * What the protocol-generic peer core needs to know about a protocol family (Chia, later Graphene): how frames map to
 * envelopes, names and payloads, which replies a request accepts, and the verdict for each kind of violation. What a
 * handshake negotiates for one connection (remote info, rate limits, windows, sender rules) is a `Session`.
 */
import type { Either } from "effect"
import type { PeerError, PeerErrorReason, RemoteError, Verdict } from "./PeerError.js"
import type { RateLimitTable } from "./RateLimit.js"

/** Message name → payload type. */
export type MessageMap = { readonly [name: string]: unknown }

/** Request name → union of the names of its allowed replies. */
export type ReplyMap<M extends MessageMap> = { readonly [name: string]: keyof M & string }

/** Names of `M`. */
export type NameOf<M extends MessageMap> = keyof M & string

/** A decoded message tagged by name; distributes over a union of names. */
export type Message<M extends MessageMap, N extends NameOf<M> = NameOf<M>> = N extends NameOf<M>
  ? { readonly name: N; readonly payload: M[N] }
  : never

/** The request names of a reply map. */
export type RequestName<M extends MessageMap, R extends ReplyMap<M>> = keyof R & NameOf<M>

/** What `request(name, …)` yields: one of the allowed replies, tagged by name. */
export type ReplyTo<M extends MessageMap, R extends ReplyMap<M>, N extends RequestName<M, R>> = Message<M, R[N]>

/** The raw envelope of one frame. `id` is the request id; `undefined` for notifications. */
export interface Envelope {
  readonly type: number
  readonly id: number | undefined
  readonly data: Uint8Array
}

export type Role = "dialer" | "listener"

/** The request ids one side allocates, inclusive. */
export interface IdRange {
  readonly first: number
  readonly last: number
}

export interface ProtocolFamily<M extends MessageMap> {
  readonly name: string
  /** Type number of a name (total over `M`). */
  readonly typeOf: (name: NameOf<M>) => number
  /** Name of a type number; `undefined` for unknown types. */
  readonly nameOf: (type: number) => NameOf<M> | undefined
  /** Parses a frame into an envelope (type known, size checked); `Left` carries a description. */
  readonly decodeEnvelope: (frame: Uint8Array) => Either.Either<Envelope, string>
  readonly decodePayload: (type: number, data: Uint8Array) => Either.Either<unknown, string>
  /** Serialises a payload straight into a frame (one allocation); `Left` when it does not fit its type. */
  readonly encodeFrame: (type: number, id: number | undefined, payload: unknown) => Either.Either<Uint8Array, string>
  /** Payload bytes of an encoded frame (what rate limits count). */
  readonly payloadSize: (frame: Uint8Array, id: number | undefined) => number
  /** Allowed reply types of a request type; `undefined` = any reply is accepted (not in the map). */
  readonly replyTypes: (requestType: number) => ReadonlySet<number> | undefined
  /** The error reply (Chia 255) and how to read its payload. */
  readonly errorReply: { readonly type: number; readonly read: (payload: unknown) => RemoteError } | undefined
  /** Verdict of each failure reason. */
  readonly verdicts: { readonly [R in PeerErrorReason]: Verdict }
  /** Request ids each role allocates from (Chia: dialer 0–32767, listener 32768–65535). */
  readonly idRange: (role: Role) => IdRange
}

/** Rate-limit settings of one direction. */
export interface DirectionLimits {
  readonly table: RateLimitTable
  /** Percentage of every threshold (except the per-message size) that applies. */
  readonly percent: number
}

/** What the handshake negotiated for one connection. */
export interface Session<Info> {
  readonly role: Role
  /** What the remote announced (node type, versions, capabilities, port, …). */
  readonly info: Info
  /** Checks a non-response message before dispatch (sender rules, unsolicited responses); an error ends the peer. */
  readonly admit: (type: number) => PeerError | undefined
  /** Rate limits; `undefined` = none in that direction (exempt peers). */
  readonly inboundLimits: DirectionLimits | undefined
  readonly outboundLimits: DirectionLimits | undefined
  /** Types whose outbound sends are dropped, not delayed, when over the limit (Chia: respond_peers). */
  readonly dropWhenLimited: (type: number) => boolean
  /**
   * Concurrent-request windows (Chia v3). `inbound`: most requests of a type the remote may have in flight with us;
   * `outbound`: most we keep in flight with it. Types listed in either map bypass the rate-limit tables.
   */
  readonly windows: { readonly inbound: ReadonlyMap<number, number>; readonly outbound: ReadonlyMap<number, number> }
  /** Messages the handshake already read, charged to the inbound rate limiter (the reference counts them). */
  readonly consumed: ReadonlyArray<{ readonly type: number; readonly size: number }>
}
