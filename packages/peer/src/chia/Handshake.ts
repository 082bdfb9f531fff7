/**
 * The Chia handshake, both roles (`WSChiaConnection.perform_handshake`): the dialer sends first; the listener reads,
 * validates, then replies with the protocol version *for the remote's node type* — or closes without replying. When
 * both sides end up with RATE_LIMITS_V3 each sends ConfigureWindowSizes and reads the other's. The outcome is the
 * `Session` the peer core runs with.
 */
import { Duration, Effect, Either, Option } from "effect"
import type { Address, Connection } from "@peerwire/transport"
import { decodeUnsafe } from "@peerwire/codec/Codec"
import { encodeMessage } from "@peerwire/codec/chia/Catalogue"
import { decodeFrame } from "@peerwire/codec/chia/Message"
import {
  Capability,
  isAllowedSender,
  isNodeType,
  messageTypeName,
  NodeType,
  ProtocolMessageTypes
} from "@peerwire/codec/chia/MessageTypes"
import { ConfigureWindowSizes, Handshake } from "@peerwire/codec/chia/protocol/shared"
import type { FrameReader } from "../internal/frameReader.js"
import { PeerError, type PeerErrorReason } from "../PeerError.js"
import type { Role, Session } from "../ProtocolFamily.js"
import {
  CHIA_VERDICTS,
  DEFAULT_SOFTWARE_VERSION,
  defaultCapabilities,
  DIALER_HANDSHAKE_TIMEOUT,
  LISTENER_HANDSHAKE_TIMEOUT,
  MAX_VERSION_STRING_BYTES,
  PROTOCOL_VERSIONS,
  WS_CLOSE_OK
} from "./ChiaProtocol.js"
import {
  INBOUND_RATE_LIMIT_PERCENT,
  MAX_CONFIGURE_WINDOW_ENTRIES,
  OUTBOUND_RATE_LIMIT_PERCENT,
  v1Table,
  v2Table,
  v3Windows,
  WALLET_OUTBOUND_RATE_LIMIT_PERCENT
} from "./RateLimitTable.js"

type Capabilities = ReadonlyArray<readonly [number, string]>

export interface HandshakeOptions {
  /** The network name (`selected_network`), e.g. "mainnet", "testnet11". */
  readonly networkId: string
  readonly nodeType: NodeType
  /** Our listening port; 0 when we have none. */
  readonly serverPort?: number | undefined
  readonly softwareVersion?: string | undefined
  /** Overrides `defaultCapabilities(nodeType)` (plus RATE_LIMITS_V3 when `rateLimitsV3`). */
  readonly capabilities?: ReadonlyArray<readonly [number, string]> | undefined
  /** Advertise RATE_LIMITS_V3 (capability 7), the reference's `rate_limits: 3`. A listener activates it on demand. */
  readonly rateLimitsV3?: boolean | undefined
  /** Default: 30 s for the listener (`peer_connect_timeout`), 120 s for the dialer (`outbound_handshake_timeout`). */
  readonly timeout?: Duration.DurationInput | undefined
}

/** What the remote announced, plus what the connection knows about it. */
export interface ChiaPeerInfo {
  readonly networkId: string
  readonly nodeType: NodeType
  readonly protocolVersion: string
  readonly softwareVersion: string
  readonly serverPort: number
  /** Known capabilities the remote enabled ("1"). */
  readonly capabilities: ReadonlySet<number>
  /** What we advertised (after the listener's RATE_LIMITS_V3 activation). */
  readonly localCapabilities: ReadonlyArray<readonly [number, string]>
  /** Both sides have RATE_LIMITS_V3 and exchanged window sizes. */
  readonly rateLimitsV3: boolean
  /** The remote's windows from its ConfigureWindowSizes (type → window, 0 = unlimited). */
  readonly remoteWindows: ReadonlyMap<number, number>
  readonly address: Address
  /** SHA-256 of the remote's certificate (the Chia node id). */
  readonly peerId: Option.Option<Uint8Array>
}

const knownCapabilities: ReadonlySet<number> = new Set(Object.values(Capability))

/** `known_active_capabilities`: entries whose value is exactly "1" and whose id is a known capability. */
export const activeCapabilities = (capabilities: ReadonlyArray<readonly [number, string]>): ReadonlySet<number> =>
  new Set(capabilities.filter(([id, value]) => value === "1" && knownCapabilities.has(id)).map(([id]) => id))

const fail = (reason: PeerErrorReason, message: string): PeerError =>
  new PeerError({ reason, message, ...CHIA_VERDICTS[reason] })

const utf8Length = (s: string): number => new TextEncoder().encode(s).length

/** Reads the remote's Handshake and checks it in the reference's order. */
export const validateHandshake = (frame: Uint8Array, networkId: string): Either.Either<Handshake, PeerError> => {
  const envelope = decodeFrame(frame)
  if (envelope._tag === "Left") {
    return Either.left(fail("HandshakeInvalid", `invalid handshake: ${envelope.left.message}`))
  }
  if (envelope.right.type !== ProtocolMessageTypes.handshake) {
    const name = messageTypeName(envelope.right.type) ?? String(envelope.right.type)
    return Either.left(fail("HandshakeInvalid", `expected a handshake, got ${name}`))
  }
  let handshake: Handshake
  try {
    handshake = decodeUnsafe(Handshake, envelope.right.data)
  } catch (e) {
    return Either.left(fail("HandshakeInvalid", `invalid handshake payload: ${String(e)}`))
  }
  if (handshake.network_id !== networkId) {
    return Either.left(fail("IncompatibleNetwork", `remote is on ${handshake.network_id}, we are on ${networkId}`))
  }
  if (!isNodeType(handshake.node_type)) {
    return Either.left(fail("InvalidNodeType", `invalid node type ${handshake.node_type}`))
  }
  if (utf8Length(handshake.software_version) > MAX_VERSION_STRING_BYTES) {
    return Either.left(fail("HandshakeInvalid", `software_version longer than ${MAX_VERSION_STRING_BYTES} bytes`))
  }
  return Either.right(handshake)
}

/** `rl_settings_v3_from_configure_message`: the remote's windows, checked against our table. */
export const parseWindowSizes = (frame: Uint8Array): Either.Either<ReadonlyMap<number, number>, PeerError> => {
  const envelope = decodeFrame(frame)
  if (envelope._tag === "Left" || envelope.right.type !== ProtocolMessageTypes.configure_window_sizes) {
    return Either.left(fail("HandshakeInvalid", "expected configure_window_sizes"))
  }
  let settings: ConfigureWindowSizes["settings"]
  try {
    settings = decodeUnsafe(ConfigureWindowSizes, envelope.right.data).settings
  } catch (e) {
    return Either.left(fail("HandshakeInvalid", `invalid configure_window_sizes: ${String(e)}`))
  }
  if (settings.length === 0 || settings.length > MAX_CONFIGURE_WINDOW_ENTRIES) {
    return Either.left(fail("HandshakeInvalid", `configure_window_sizes with ${settings.length} entries`))
  }
  const windows = new Map<number, number>()
  for (const [type, window] of settings) {
    const local = v3Windows.get(type)
    // Unknown types and types we do not track are skipped.
    if (messageTypeName(type) === undefined || local === undefined) continue
    if (local === 0 && window !== 0) {
      return Either.left(fail("HandshakeInvalid", `window ${window} for ${messageTypeName(type)}, which is unlimited`))
    }
    windows.set(type, window)
  }
  return Either.right(windows)
}

const UNSOLICITED_BAN_TYPES: ReadonlySet<number> = new Set([
  ProtocolMessageTypes.respond_block,
  ProtocolMessageTypes.respond_blocks,
  ProtocolMessageTypes.reject_block,
  ProtocolMessageTypes.reject_blocks
])

/** Sender rules (`protocol_message_type_to_node_type.py`) and the full node's reaction to unsolicited blocks. */
export const admitFor = (remoteNodeType: NodeType) => (type: number): PeerError | undefined => {
  const name = messageTypeName(type)
  if (name === undefined) return fail("MalformedMessage", `unknown message type ${type}`)
  if (!isAllowedSender(name, remoteNodeType)) {
    return new PeerError({
      reason: "ForbiddenSender",
      message: `${name} may not be sent by node type ${remoteNodeType}`,
      messageType: name,
      ...CHIA_VERDICTS.ForbiddenSender
    })
  }
  if (UNSOLICITED_BAN_TYPES.has(type)) {
    return new PeerError({
      reason: "UnsolicitedResponse",
      message: `unsolicited ${name}`,
      messageType: name,
      ...CHIA_VERDICTS.UnsolicitedResponse
    })
  }
  return undefined
}

const readFrame = (reader: FrameReader): Effect.Effect<Uint8Array, PeerError> =>
  reader.next.pipe(
    Effect.mapError((e) => fail("HandshakeInvalid", `connection failed during handshake: ${e.message}`)),
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(fail("HandshakeInvalid", "connection closed during handshake")),
      onSome: Effect.succeed
    }))
  )

const sendMessage = <N extends "handshake" | "configure_window_sizes">(
  connection: Connection,
  name: N,
  payload: N extends "handshake" ? Handshake : ConfigureWindowSizes
): Effect.Effect<void, PeerError> => {
  const frame = encodeMessage(name, payload as never)
  return Either.isLeft(frame)
    ? Effect.fail(fail("HandshakeInvalid", `cannot encode our ${name}: ${frame.left.message}`))
    : Effect.mapError(connection.send(frame.right), (e) => fail("HandshakeInvalid", `send failed: ${e.message}`))
}

/**
 * Runs the handshake on a fresh connection. On failure the connection is closed with the verdict (the listener
 * without having replied) and the error says why.
 */
export const perform = (
  connection: Connection,
  reader: FrameReader,
  role: Role,
  options: HandshakeOptions
): Effect.Effect<Session<ChiaPeerInfo>, PeerError> => {
  const { networkId, nodeType } = options
  const ourCapabilities = options.capabilities ??
    [...defaultCapabilities(nodeType), ...(options.rateLimitsV3 ? [[Capability.RATE_LIMITS_V3, "1"] as const] : [])]
  const ourHandshake = (protocolVersion: string, capabilities: Capabilities): Handshake => ({
    network_id: networkId,
    protocol_version: protocolVersion,
    software_version: options.softwareVersion ?? DEFAULT_SOFTWARE_VERSION,
    server_port: options.serverPort ?? 0,
    node_type: nodeType,
    capabilities: capabilities.map(([id, value]) => [id, value] as [number, string])
  })

  const exchange = Effect.gen(function*() {
    const consumed: Array<{ type: number; size: number }> = []
    const receive = Effect.tap(readFrame(reader), (frame) => {
      consumed.push({ type: frame[0] ?? 0, size: Math.max(0, frame.length - 6) })
    })
    if (role === "dialer") {
      yield* sendMessage(connection, "handshake", ourHandshake(PROTOCOL_VERSIONS[nodeType], ourCapabilities))
    }
    const theirs = yield* Effect.flatMap(receive, (frame) => validateHandshake(frame, networkId))
    const remoteType = theirs.node_type as NodeType
    const remoteCapabilities = activeCapabilities(theirs.capabilities)
    let localCapabilities = ourCapabilities
    if (role === "listener") {
      // Listener auto-activation of v3: the dialer asked for it, so we append it to our reply.
      const v3 = Capability.RATE_LIMITS_V3
      if (remoteCapabilities.has(v3) && !activeCapabilities(ourCapabilities).has(v3)) {
        localCapabilities = [...ourCapabilities, [Capability.RATE_LIMITS_V3, "1"]]
      }
      yield* sendMessage(connection, "handshake", ourHandshake(PROTOCOL_VERSIONS[remoteType], localCapabilities))
    }
    const localActive = activeCapabilities(localCapabilities)
    const v3 = localActive.has(Capability.RATE_LIMITS_V3) && remoteCapabilities.has(Capability.RATE_LIMITS_V3)
    let remoteWindows: ReadonlyMap<number, number> = new Map()
    if (v3) {
      const settings = [...v3Windows].map(([type, window]) => [type, window] as [number, number])
      yield* sendMessage(connection, "configure_window_sizes", { settings })
      remoteWindows = yield* Effect.flatMap(receive, parseWindowSizes)
    }
    const both = (capability: number) => localActive.has(capability) && remoteCapabilities.has(capability)
    const table = both(Capability.RATE_LIMITS_V2) ? v2Table : v1Table
    const info: ChiaPeerInfo = {
      networkId: theirs.network_id,
      nodeType: remoteType,
      protocolVersion: theirs.protocol_version,
      softwareVersion: theirs.software_version,
      serverPort: theirs.server_port,
      capabilities: remoteCapabilities,
      localCapabilities,
      rateLimitsV3: v3,
      remoteWindows,
      address: connection.remote,
      peerId: connection.peerId
    }
    const session: Session<ChiaPeerInfo> = {
      role,
      info,
      admit: admitFor(remoteType),
      inboundLimits: { table, percent: INBOUND_RATE_LIMIT_PERCENT },
      outboundLimits: {
        table,
        percent: nodeType === NodeType.WALLET ? WALLET_OUTBOUND_RATE_LIMIT_PERCENT : OUTBOUND_RATE_LIMIT_PERCENT
      },
      dropWhenLimited: (type) => type === ProtocolMessageTypes.respond_peers,
      windows: v3 ? { inbound: v3Windows, outbound: remoteWindows } : { inbound: new Map(), outbound: new Map() },
      consumed
    }
    return session
  })

  const timeout = options.timeout ?? (role === "listener" ? LISTENER_HANDSHAKE_TIMEOUT : DIALER_HANDSHAKE_TIMEOUT)
  const timedOut = new PeerError({
    reason: "HandshakeTimeout",
    message: `handshake not finished within ${Duration.format(Duration.decode(timeout))}`,
    // The listener treats it as an invalid handshake; the dialer just closes.
    ...(role === "listener"
      ? CHIA_VERDICTS.HandshakeTimeout
      : { banSeconds: 0, closeCode: WS_CLOSE_OK, closeReason: "" })
  })
  return exchange.pipe(
    Effect.timeoutFail({ duration: timeout, onTimeout: () => timedOut }),
    Effect.tapError((error) => connection.close(error.closeCode ?? WS_CLOSE_OK, error.closeReason))
  )
}
