/**
 * An in-process `Transport` for tests of nodes built on peerwire: same interface as the WebSocket transport, no
 * sockets, deterministic under `TestClock`, with fault injection.
 *
 * A `MemoryNetwork` holds listeners by `host:port`. Each simulated node gets a `Transport` bound to its own host (any
 * string; nothing touches the real network). Dialing pairs two connection ends; the listener's gate runs before the
 * connection is accepted. With `tls` set, both sides "present" their identity certificate: `peerCertificate` is the
 * remote's DER, `peerId` its SHA-256, and `RequireCa` checks the chain (failing the dial with `TlsFailure`).
 *
 * Frames are copied on `send`, limited by the receiver's `maxFrameSize` (the receiver closes with 1009 and
 * `FrameTooLarge`), and flow-controlled: `send` waits while the bytes the receiver has not read yet are at or above the
 * sender's `highWaterMark`. Every delay goes through the Effect `Clock`.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
 *
 * const program = Effect.gen(function*() {
 *   const network = yield* MemoryTransport.makeNetwork({ seed: 7 })
 *   const alice = network.transport({ host: "10.0.0.1" })
 *   const bob = network.transport({ host: "10.0.0.2" })
 *   const listener = yield* alice.listen({ host: "10.0.0.1", port: 8444 })
 *   yield* network.setLinkFaults("10.0.0.1", "10.0.0.2", { latency: "40 millis", jitter: "10 millis" })
 *   const connection = yield* bob.dial({ host: "10.0.0.1", port: 8444 })
 *   yield* connection.send(new Uint8Array([1, 2, 3]))
 *   const [inbound] = yield* Stream.runCollect(Stream.take(listener.connections, 1))
 * })
 * // With layers: `MemoryTransport.layer(network, { host: "10.0.0.2" })` provides `Transport` to one node's program.
 * ```
 */
import { Context, Effect, Layer } from "effect"
import type { Address, TransportError } from "./Transport.js"
import { Transport, type TransportShape } from "./Transport.js"
import { coversPair, type LinkFaults, matches } from "./internal/memoryFaults.js"
import type { LinkInfo } from "./internal/memoryNetwork.js"
import { NetworkState } from "./internal/memoryNetwork.js"
import { makeTransport } from "./internal/memoryTransport.js"

export type { LinkFaults } from "./internal/memoryFaults.js"
export type { LinkInfo } from "./internal/memoryNetwork.js"
export { EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST } from "./internal/memoryNetwork.js"
export { CLOSE_ABNORMAL, CLOSE_GOING_AWAY, CLOSE_NORMAL, CLOSE_TOO_BIG } from "./internal/memoryLink.js"

/** Host of a memory transport when none is given. */
export const DEFAULT_HOST = "127.0.0.1"
/** Seed of a network's `Random` (jitter) when none is given. */
export const DEFAULT_SEED = 1

export interface MemoryNetworkOptions {
  /** Seed of the network's own `Random`, which draws jitter; same seed and same traffic give the same timings. */
  readonly seed?: number | undefined
}

export interface MemoryTransportOptions {
  /** The node's address on the network: what it listens on (also for `0.0.0.0` / `::`) and dials from. */
  readonly host?: string | undefined
}

/**
 * One simulated network. Endpoint patterns name a host (`"10.0.0.1"`: all its ports) or one address
 * (`"10.0.0.1:8444"`, `"[::1]:8444"`). Fault changes apply to frames sent after them, on existing connections too.
 */
export interface MemoryNetworkShape {
  /** A `Transport` for the node at `host` (default `DEFAULT_HOST`). Several may share a host and its ports. */
  readonly transport: (options?: MemoryTransportOptions) => TransportShape

  /**
   * Faults on every link that no `setLinkFaults` rule overrides.
   *
   * @example
   * ```ts
   * yield* network.setFaults({ latency: "20 millis", jitter: "5 millis", bandwidth: 1_000_000 })
   * ```
   */
  readonly setFaults: (faults: LinkFaults) => Effect.Effect<void, TransportError>

  /**
   * Faults between two endpoints (both directions), over the defaults field by field; replaces an earlier rule for the
   * same pair, and later rules win over earlier ones where several match.
   *
   * @example
   * ```ts
   * // 100 ms each way and 64 KiB/s between two nodes
   * yield* network.setLinkFaults("10.0.0.1", "10.0.0.2", { latency: "100 millis", bandwidth: 65_536 })
   * // the 3rd frame on any connection to the seeder's port is its last: the link then dies (code 1006)
   * yield* network.setLinkFaults("10.0.0.9:8444", "10.0.0.2", { dropAfterFrames: 3 })
   * // a silent peer, for heartbeat tests: frames, pings and close frames vanish; `send` still succeeds
   * yield* network.setLinkFaults("10.0.0.1", "10.0.0.3", { blackhole: true })
   * ```
   */
  readonly setLinkFaults: (a: string, b: string, faults: LinkFaults) => Effect.Effect<void, TransportError>

  /** Removes the default faults and every link rule (partitions and refusals stay). */
  readonly clearFaults: () => Effect.Effect<void>

  /**
   * Dials to matching addresses fail with `DialRefused` (as if nothing listened), until `unrefuse`.
   *
   * @example
   * ```ts
   * yield* network.refuse("10.0.0.1:8444")
   * ```
   */
  readonly refuse: (pattern: string) => Effect.Effect<void>
  readonly unrefuse: (pattern: string) => Effect.Effect<void>

  /**
   * Splits two groups of endpoints: live connections between them die at once (code 1006, `ConnectionLost`), new dials
   * across get no answer and end with `Timeout` after their `openTimeout`. Yields how many connections were cut.
   *
   * @example
   * ```ts
   * yield* network.partition(["10.0.0.1", "10.0.0.2"], ["10.0.0.3"])
   * // ... later
   * yield* network.heal()
   * ```
   */
  readonly partition: (groupA: ReadonlyArray<string>, groupB: ReadonlyArray<string>) => Effect.Effect<number>
  /** Removes every partition. Connections cut by them stay closed. */
  readonly heal: () => Effect.Effect<void>

  /**
   * Kills live connections between `a` and `b` (or all of `a`'s when `b` is omitted) mid-stream, as if the socket died:
   * no close frame, code 1006 and `ConnectionLost` on both ends, frames not yet delivered are lost.
   *
   * @example
   * ```ts
   * const cut = yield* network.sever("10.0.0.2")
   * ```
   */
  readonly sever: (a: string, b?: string) => Effect.Effect<number>
  /** Kills one connection (by the `id` of either end) like `sever`; `false` when no live connection has that id. */
  readonly severConnection: (connectionId: string) => Effect.Effect<boolean>

  /** The live connections, with bytes in flight per direction. */
  readonly connections: Effect.Effect<ReadonlyArray<LinkInfo>>
  /** Addresses being listened on. */
  readonly listeners: Effect.Effect<ReadonlyArray<Address>>
}

/** The network as a service, for programs that create their transports from it (see `layerFromNetwork`). */
export class MemoryNetwork
  extends Context.Tag("@peerwire/transport/MemoryNetwork")<MemoryNetwork, MemoryNetworkShape>()
{}

/** Creates an empty network. */
export const makeNetwork = (options: MemoryNetworkOptions = {}): Effect.Effect<MemoryNetworkShape> =>
  Effect.sync(() => {
    const state = new NetworkState(options.seed ?? DEFAULT_SEED)
    return MemoryNetwork.of({
      transport: (transportOptions = {}) => makeTransport(state, transportOptions.host ?? DEFAULT_HOST),
      setFaults: (faults) => state.setFaults(faults),
      setLinkFaults: (a, b, faults) => state.setLinkFaults(a, b, faults),
      clearFaults: () => Effect.sync(() => state.clearFaults()),
      refuse: (pattern) => Effect.sync(() => state.refuse(pattern)),
      unrefuse: (pattern) => Effect.sync(() => state.unrefuse(pattern)),
      partition: (groupA, groupB) => state.partition(groupA, groupB),
      heal: () => Effect.sync(() => state.heal()),
      sever: (a, b) =>
        state.cutWhere((link) => {
          const { local, remote } = link.settings(0)
          return b === undefined ? matches(a, local) || matches(a, remote) : coversPair(a, b, local, remote)
        }, "connection severed (fault injection)"),
      severConnection: (connectionId) =>
        Effect.map(
          state.cutWhere(
            (link) => link.settings(0).id === connectionId || link.settings(1).id === connectionId,
            "connection severed (fault injection)"
          ),
          (count) => count > 0
        ),
      connections: Effect.sync(() => state.info()),
      listeners: Effect.sync(() => Array.from(state.listeners.values(), (entry) => entry.address))
    })
  })

/** A `Transport` for the node at `options.host` on `network`. */
export const make = (network: MemoryNetworkShape, options: MemoryTransportOptions = {}): TransportShape =>
  network.transport(options)

/** Provides `Transport` for one node of `network`. */
export const layer = (network: MemoryNetworkShape, options: MemoryTransportOptions = {}): Layer.Layer<Transport> =>
  Layer.succeed(Transport, network.transport(options))

/** Provides a fresh `MemoryNetwork`. */
export const layerNetwork = (options: MemoryNetworkOptions = {}): Layer.Layer<MemoryNetwork> =>
  Layer.effect(MemoryNetwork, makeNetwork(options))

/** Provides `Transport` for the node at `options.host` on the `MemoryNetwork` in context. */
export const layerFromNetwork = (options: MemoryTransportOptions = {}): Layer.Layer<Transport, never, MemoryNetwork> =>
  Layer.effect(Transport, Effect.map(MemoryNetwork, (network) => network.transport(options)))

/**
 * A fresh network and one node on it: `Transport` plus `MemoryNetwork` (to inject faults). The usual layer for a test
 * of a single node.
 *
 * @example
 * ```ts
 * it.scoped("reconnects", () => program.pipe(Effect.provide(MemoryTransport.layerWithNetwork({ host: "10.0.0.1" }))))
 * ```
 */
export const layerWithNetwork = (
  options: MemoryTransportOptions & MemoryNetworkOptions = {}
): Layer.Layer<Transport | MemoryNetwork> =>
  layerFromNetwork(options).pipe(Layer.provideMerge(layerNetwork(options)))
