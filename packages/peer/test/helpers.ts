/**
 * Test helpers: a memory network with a listener (host 10.0.0.1:8444) and a dialer (host 10.0.0.2), raw connection
 * ends for scripting the remote byte by byte, and Chia frames built with the catalogue.
 */
import { Chunk, Effect, Either, Option, Stream } from "effect"
import type { Scope } from "effect"
import type { Connection } from "@peerwire/transport"
import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
import { decodeMessage, encodeMessage, type MessageName, type PayloadOf } from "@peerwire/codec/chia/Catalogue"
import type { ChiaMessage } from "@peerwire/codec/chia/Catalogue"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import type { Handshake } from "@peerwire/codec/chia/protocol/shared"
import { type FrameReader, makeFrameReader } from "../src/internal/frameReader.js"
import * as ChiaPeer from "../src/chia/ChiaPeer.js"
import { PROTOCOL_VERSIONS } from "../src/chia/ChiaProtocol.js"

export const LISTEN = { host: "10.0.0.1", port: 8444 } as const
export const DIALER_HOST = "10.0.0.2"

export interface Ends {
  readonly network: MemoryTransport.MemoryNetworkShape
  readonly dialer: Connection
  readonly listener: Connection
}

/** A connected pair of raw connection ends; `maxFrameSize` limits what the listener's end accepts. */
export const pairWith = (options: { readonly maxFrameSize?: number }): Effect.Effect<Ends, never, Scope.Scope> =>
  Effect.gen(function*() {
    const network = yield* MemoryTransport.makeNetwork()
    const server = network.transport({ host: LISTEN.host })
    const client = network.transport({ host: DIALER_HOST })
    const listener = yield* Effect.orDie(server.listen({ host: LISTEN.host, port: LISTEN.port, ...options }))
    const dialer = yield* Effect.orDie(client.dial(LISTEN))
    const accepted = yield* Stream.runHead(listener.connections)
    return { network, dialer, listener: Option.getOrThrow(accepted) }
  })

/** A connected pair of raw connection ends. */
export const connectedPair: Effect.Effect<Ends, never, Scope.Scope> = pairWith({})

/** Encodes a Chia frame (dies on invalid payloads: a test bug). */
export const frame = <N extends MessageName>(name: N, payload: PayloadOf<N>, id?: number): Uint8Array =>
  Either.getOrThrow(encodeMessage(name, payload, id))

export const sendFrame = <N extends MessageName>(connection: Connection, name: N, payload: PayloadOf<N>, id?: number) =>
  Effect.orDie(connection.send(frame(name, payload, id)))

/** A raw remote: reads decoded messages from its end. */
export interface Raw {
  readonly connection: Connection
  readonly reader: FrameReader
  readonly next: Effect.Effect<ChiaMessage>
  /** Next message, or `None` when the connection ended. */
  readonly nextOption: Effect.Effect<Option.Option<ChiaMessage>>
}

export const raw = (connection: Connection): Effect.Effect<Raw, never, Scope.Scope> =>
  Effect.map(makeFrameReader(connection), (reader) => {
    const nextOption = reader.next.pipe(
      Effect.orDie,
      Effect.map(Option.map((f) => Either.getOrThrow(decodeMessage(f))))
    )
    return {
      connection,
      reader,
      nextOption,
      next: Effect.flatMap(nextOption, Option.match({
        onNone: () => Effect.dieMessage("connection ended"),
        onSome: Effect.succeed
      }))
    }
  })

export const handshakePayload = (overrides: Partial<Handshake> = {}): Handshake => ({
  network_id: "mainnet",
  protocol_version: PROTOCOL_VERSIONS[NodeType.FULL_NODE],
  software_version: "2.5.7",
  server_port: 8444,
  node_type: NodeType.FULL_NODE,
  capabilities: [[1, "1"], [2, "1"], [3, "1"]],
  ...overrides
})

export const fullNodeOptions: ChiaPeer.ChiaPeerOptions = {
  networkId: "mainnet",
  nodeType: NodeType.FULL_NODE,
  serverPort: 8444
}
export const walletOptions: ChiaPeer.ChiaPeerOptions = { networkId: "mainnet", nodeType: NodeType.WALLET }

/** The listener side is a ChiaPeer; the dialer side is raw and has already done a valid handshake as `nodeType`. */
export const listenerPeerWithRawDialer = (
  options: Partial<ChiaPeer.ChiaPeerOptions> = {},
  dialerHandshake: Partial<Handshake> = {}
) =>
  Effect.gen(function*() {
    const ends = yield* connectedPair
    const remote = yield* raw(ends.dialer)
    yield* sendFrame(ends.dialer, "handshake", handshakePayload(dialerHandshake))
    const peer = yield* ChiaPeer.accept(ends.listener, { ...fullNodeOptions, ...options })
    const reply = yield* remote.next
    return { ...ends, remote, peer, reply }
  })

/** The dialer side is a ChiaPeer; the listener side is raw and answers the handshake with `listenerHandshake`. */
export const dialerPeerWithRawListener = (
  options: Partial<ChiaPeer.ChiaPeerOptions> = {},
  listenerHandshake: Partial<Handshake> = {}
) =>
  Effect.gen(function*() {
    const ends = yield* connectedPair
    const remote = yield* raw(ends.listener)
    const fiber = yield* Effect.fork(ChiaPeer.fromConnection(ends.dialer, "dialer", { ...fullNodeOptions, ...options }))
    const hello = yield* remote.next
    yield* sendFrame(ends.listener, "handshake", handshakePayload(listenerHandshake))
    const peer = yield* Effect.flatMap(fiber.await, (exit) => exit)
    return { ...ends, remote, peer, hello }
  })

/** Collects up to `n` elements of a stream. */
export const take = <A>(stream: Stream.Stream<A>, n: number) =>
  Effect.map(Stream.runCollect(Stream.take(stream, n)), Chunk.toReadonlyArray)
