/**
 * Chia peers: `connect` dials, handshakes as the dialer and starts the peer; `accept` does the listener's side on an
 * inbound connection. Both yield a `ChiaPeer`, a generic `Peer` typed with the Chia catalogue and reply map.
 *
 * Defaults follow the reference node: the dialer pings every 60 s (no pong in 30 s closes), the listener does not;
 * idle connections close after 1800 s; rate limits apply unless `config.exemptFromRateLimits` (the node's localhost
 * and exempt-network policy).
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { type Address, type Connection, type DialOptions, type TlsSettings, Transport } from "@peerwire/transport"
import { makeFrameReader } from "../internal/frameReader.js"
import * as Peer from "../Peer.js"
import { defaultPeerConfig, type PeerConfig } from "../PeerConfig.js"
import { PeerError } from "../PeerError.js"
import type { Role } from "../ProtocolFamily.js"
import { type ChiaMessages, type ChiaReplies, chiaFamily } from "./ChiaFamily.js"
import { CHIA_VERDICTS } from "./ChiaProtocol.js"
import { type ChiaPeerInfo, type HandshakeOptions, perform } from "./Handshake.js"

export type ChiaPeer = Peer.Peer<ChiaMessages, ChiaReplies, ChiaPeerInfo>
export type ChiaHandlers = Peer.Handlers<ChiaMessages, ChiaReplies>
export type ChiaHandler<N extends keyof ChiaMessages & string> = Peer.Handler<ChiaMessages, ChiaReplies, N>

export interface ChiaPeerOptions extends HandshakeOptions {
  /** Mutual TLS (the Chia network requires it); omitted = plain ws, for tests and local tools. */
  readonly tls?: TlsSettings | undefined
  /** Transport dial settings (open timeout, frame size, high-water mark). */
  readonly dial?: Omit<DialOptions, "tls"> | undefined
  /** Overrides of the peer defaults. */
  readonly config?: Partial<PeerConfig> | undefined
  /** Handlers in place before the first message is read. */
  readonly handlers?: ChiaHandlers | undefined
}

/** The peer defaults for a role: only the dialer runs the heartbeat, as aiohttp does for the reference. */
export const configFor = (role: Role, overrides?: Partial<PeerConfig>): PeerConfig => ({
  ...defaultPeerConfig,
  heartbeat: role === "dialer" ? defaultPeerConfig.heartbeat : undefined,
  ...overrides
})

/** Handshakes on an open connection in the given role and starts the peer (lives as long as the Scope). */
export const fromConnection = (
  connection: Connection,
  role: Role,
  options: ChiaPeerOptions
): Effect.Effect<ChiaPeer, PeerError, Scope.Scope> =>
  Effect.gen(function*() {
    const reader = yield* makeFrameReader(connection)
    const session = yield* perform(connection, reader, role, options)
    return yield* Peer.make<ChiaMessages, ChiaReplies, ChiaPeerInfo>({
      connection,
      reader,
      family: chiaFamily(session.info.protocolVersion),
      session,
      config: configFor(role, options.config),
      handlers: options.handlers
    })
  })

/** Dials `address` and runs the dialer's handshake. */
export const connect = (
  address: Address,
  options: ChiaPeerOptions
): Effect.Effect<ChiaPeer, PeerError, Transport | Scope.Scope> =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const connection = yield* transport.dial(address, { ...options.dial, tls: options.tls }).pipe(
      Effect.mapError((cause) =>
        new PeerError({
          reason: "TransportFailure",
          message: `cannot connect to ${address.host}:${address.port}: ${cause.message}`,
          cause,
          ...CHIA_VERDICTS.TransportFailure
        })
      )
    )
    return yield* fromConnection(connection, "dialer", options)
  })

/** Runs the listener's handshake on an inbound connection. */
export const accept = (
  connection: Connection,
  options: ChiaPeerOptions
): Effect.Effect<ChiaPeer, PeerError, Scope.Scope> =>
  fromConnection(connection, "listener", options)
