import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, TestClock } from "effect"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import * as ChiaPeer from "../src/chia/ChiaPeer.js"
import type { PeerError } from "../src/PeerError.js"
import {
  connectedPair,
  dialerPeerWithRawListener,
  fullNodeOptions,
  handshakePayload,
  listenerPeerWithRawDialer,
  raw,
  sendFrame,
  walletOptions
} from "./helpers.js"

const failureOf = <A>(exit: Exit.Exit<A, PeerError>): PeerError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a PeerError, got ${String(exit.cause)}`)
  return failure
}

/** A raw dialer sends something, a listener ChiaPeer judges it; yields its error and what the raw side saw. */
const listenerRejects = (send: (ends: Effect.Effect.Success<typeof connectedPair>) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const ends = yield* connectedPair
    const remote = yield* raw(ends.dialer)
    yield* send(ends)
    const exit = yield* Effect.exit(ChiaPeer.accept(ends.listener, fullNodeOptions))
    const replied = yield* remote.nextOption
    const closed = yield* ends.dialer.closed
    return { error: failureOf(exit), replied, closed }
  })

describe("handshake", () => {
  it.scoped("succeeds in both roles and records what the remote announced", () =>
    Effect.gen(function*() {
      const ends = yield* connectedPair
      const listening = yield* Effect.fork(
        ChiaPeer.accept(ends.listener, { ...fullNodeOptions, softwareVersion: "2.5.7" })
      )
      const wallet = yield* ChiaPeer.fromConnection(ends.dialer, "dialer", { ...walletOptions, serverPort: 0 })
      const node = yield* Fiber.join(listening)
      assert.strictEqual(wallet.role, "dialer")
      assert.strictEqual(node.role, "listener")
      assert.strictEqual(node.info.nodeType, NodeType.WALLET)
      assert.strictEqual(node.info.protocolVersion, "0.0.38")
      assert.strictEqual(node.info.serverPort, 0)
      assert.deepStrictEqual([...node.info.capabilities].sort(), [1, 2, 3])
      assert.strictEqual(node.info.address.host, "10.0.0.2")
      assert.strictEqual(wallet.info.nodeType, NodeType.FULL_NODE)
      // The listener answers with the version for the remote's node type (a wallet): 0.0.38, not its own 0.0.36.
      assert.strictEqual(wallet.info.protocolVersion, "0.0.38")
      assert.strictEqual(wallet.info.softwareVersion, "2.5.7")
      assert.strictEqual(wallet.info.serverPort, 8444)
      assert.deepStrictEqual([...wallet.info.capabilities].sort(), [1, 2, 3, 5])
      assert.isFalse(wallet.info.rateLimitsV3)
    }))

  it.scoped("the dialer sends first, with its own protocol version and id None", () =>
    Effect.gen(function*() {
      const { hello, peer } = yield* dialerPeerWithRawListener(walletOptions)
      assert.strictEqual(hello.name, "handshake")
      assert.strictEqual(hello.id, undefined)
      if (hello.name !== "handshake") return
      assert.strictEqual(hello.payload.protocol_version, "0.0.38")
      assert.strictEqual(hello.payload.node_type, NodeType.WALLET)
      assert.deepStrictEqual(hello.payload.capabilities, [[1, "1"], [2, "1"], [3, "1"]])
      assert.strictEqual(peer.info.nodeType, NodeType.FULL_NODE)
    }))

  it.scoped("keeps only known capabilities whose value is \"1\"", () =>
    Effect.gen(function*() {
      const { peer } = yield* listenerPeerWithRawDialer({}, {
        capabilities: [[1, "1"], [2, "0"], [3, "yes"], [5, "1"], [99, "1"]]
      })
      assert.deepStrictEqual([...peer.info.capabilities].sort(), [1, 5])
    }))

  it.scoped("network mismatch: the listener closes 1002 \"110\" without replying, 10 s verdict", () =>
    Effect.gen(function*() {
      const { closed, error, replied } = yield* listenerRejects((ends) =>
        sendFrame(ends.dialer, "handshake", handshakePayload({ network_id: "testnet11" }))
      )
      assert.strictEqual(error.reason, "IncompatibleNetwork")
      assert.strictEqual(error.banSeconds, 10)
      assert.isTrue(Option.isNone(replied))
      assert.strictEqual(closed.code, 1002)
      assert.strictEqual(closed.reason, "110")
    }))

  it.scoped("malformed handshake bytes: 1002 \"-6\", 10 s", () =>
    Effect.gen(function*() {
      const { closed, error, replied } = yield* listenerRejects((ends) =>
        Effect.orDie(ends.dialer.send(new Uint8Array([1, 0, 0, 0, 0, 3, 0xff, 0xfe, 0xfd])))
      )
      assert.strictEqual(error.reason, "HandshakeInvalid")
      assert.strictEqual(error.banSeconds, 10)
      assert.isTrue(Option.isNone(replied))
      assert.strictEqual(closed.code, 1002)
      assert.strictEqual(closed.reason, "-6")
    }))

  it.scoped("wrong first message type: \"-6\"", () =>
    Effect.gen(function*() {
      const { closed, error } = yield* listenerRejects((ends) => sendFrame(ends.dialer, "request_peers", {}))
      assert.strictEqual(error.reason, "HandshakeInvalid")
      assert.strictEqual(closed.reason, "-6")
    }))

  it.scoped("HandshakeAck (type 2) is not a message: \"-6\"", () =>
    Effect.gen(function*() {
      const { closed, error } = yield* listenerRejects((ends) =>
        Effect.orDie(ends.dialer.send(new Uint8Array([2, 0, 0, 0, 0, 0])))
      )
      assert.strictEqual(error.reason, "HandshakeInvalid")
      assert.strictEqual(closed.reason, "-6")
    }))

  it.scoped("invalid node type: 1002 \"1\", 10 s", () =>
    Effect.gen(function*() {
      const { closed, error, replied } = yield* listenerRejects((ends) =>
        sendFrame(ends.dialer, "handshake", handshakePayload({ node_type: 9 }))
      )
      assert.strictEqual(error.reason, "InvalidNodeType")
      assert.strictEqual(error.banSeconds, 10)
      assert.isTrue(Option.isNone(replied))
      assert.strictEqual(closed.code, 1002)
      assert.strictEqual(closed.reason, "1")
    }))

  it.scoped("software_version over 128 UTF-8 bytes: \"-6\"; exactly 128 passes", () =>
    Effect.gen(function*() {
      const { closed, error } = yield* listenerRejects((ends) =>
        sendFrame(ends.dialer, "handshake", handshakePayload({ software_version: "é".repeat(64) + "x" }))
      )
      assert.strictEqual(error.reason, "HandshakeInvalid")
      assert.strictEqual(closed.reason, "-6")
      const { peer } = yield* listenerPeerWithRawDialer({}, { software_version: "é".repeat(64) })
      assert.strictEqual(peer.info.softwareVersion.length, 64)
    }))

  it.scoped("the dialer rejects a listener on another network with the same verdict", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(dialerPeerWithRawListener({}, { network_id: "testnet11" }))
      const error = failureOf(exit)
      assert.strictEqual(error.reason, "IncompatibleNetwork")
      assert.strictEqual(error.closeReason, "110")
    }))

  it.scoped("listener timeout: 30 s, then 1002 \"-6\" with 10 s", () =>
    Effect.gen(function*() {
      const ends = yield* connectedPair
      const fiber = yield* Effect.fork(Effect.exit(ChiaPeer.accept(ends.listener, fullNodeOptions)))
      yield* TestClock.adjust("29 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 second")
      const error = failureOf(yield* Fiber.join(fiber))
      assert.strictEqual(error.reason, "HandshakeTimeout")
      assert.strictEqual(error.banSeconds, 10)
      assert.strictEqual(error.closeReason, "-6")
      const closed = yield* ends.dialer.closed
      assert.strictEqual(closed.code, 1002)
    }))

  it.scoped("dialer timeout: 120 s by default, then a plain close without ban", () =>
    Effect.gen(function*() {
      const ends = yield* connectedPair
      const fiber = yield* Effect.fork(Effect.exit(ChiaPeer.fromConnection(ends.dialer, "dialer", walletOptions)))
      yield* TestClock.adjust("119 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 second")
      const error = failureOf(yield* Fiber.join(fiber))
      assert.strictEqual(error.reason, "HandshakeTimeout")
      assert.strictEqual(error.banSeconds, 0)
      assert.strictEqual(error.closeCode, 1000)
      const closed = yield* ends.listener.closed
      assert.strictEqual(closed.code, 1000)
    }))

  it.scoped("v3: a dialer asking for capability 7 gets it from a default listener; windows are exchanged", () =>
    Effect.gen(function*() {
      const ends = yield* connectedPair
      const listening = yield* Effect.fork(ChiaPeer.accept(ends.listener, fullNodeOptions))
      const wallet = yield* ChiaPeer.fromConnection(ends.dialer, "dialer", { ...walletOptions, rateLimitsV3: true })
      const node = yield* Fiber.join(listening)
      assert.isTrue(wallet.info.rateLimitsV3)
      assert.isTrue(node.info.rateLimitsV3)
      assert.isTrue(wallet.info.capabilities.has(7))
      assert.deepStrictEqual(node.info.localCapabilities.at(-1), [7, "1"])
      // request_block (26) has window 2, respond_block (27) is unlimited (0).
      assert.strictEqual(wallet.info.remoteWindows.get(26), 2)
      assert.strictEqual(wallet.info.remoteWindows.get(27), 0)
    }))

  it.scoped("v3: a non-zero window for a type we treat as unlimited is an invalid handshake", () =>
    Effect.gen(function*() {
      const ends = yield* connectedPair
      const remote = yield* raw(ends.listener)
      const fiber = yield* Effect.fork(
        Effect.exit(ChiaPeer.fromConnection(ends.dialer, "dialer", { ...walletOptions, rateLimitsV3: true }))
      )
      yield* remote.next
      yield* sendFrame(ends.listener, "handshake", handshakePayload({ capabilities: [[1, "1"], [7, "1"]] }))
      const ours = yield* remote.next
      assert.strictEqual(ours.name, "configure_window_sizes")
      yield* sendFrame(ends.listener, "configure_window_sizes", { settings: [[27, 5]] })
      const error = failureOf(yield* Fiber.join(fiber))
      assert.strictEqual(error.reason, "HandshakeInvalid")
      assert.strictEqual(error.closeReason, "-6")
    }))

  it.scoped("v3: an empty ConfigureWindowSizes is an invalid handshake", () =>
    Effect.gen(function*() {
      const ends = yield* connectedPair
      const remote = yield* raw(ends.dialer)
      yield* sendFrame(ends.dialer, "handshake", handshakePayload({ capabilities: [[1, "1"], [7, "1"]] }))
      const fiber = yield* Effect.fork(Effect.exit(ChiaPeer.accept(ends.listener, fullNodeOptions)))
      const reply = yield* remote.next
      assert.strictEqual(reply.name, "handshake")
      yield* remote.next
      yield* sendFrame(ends.dialer, "configure_window_sizes", { settings: [] })
      const error = failureOf(yield* Fiber.join(fiber))
      assert.strictEqual(error.reason, "HandshakeInvalid")
    }))
})
