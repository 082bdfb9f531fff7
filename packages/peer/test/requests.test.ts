import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, Stream, TestClock } from "effect"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import { DIALER_IDS, LISTENER_IDS } from "../src/chia/ChiaFamily.js"
import { makeRequestIds } from "../src/internal/requestIds.js"
import type { PeerError } from "../src/PeerError.js"
import * as ChiaPeer from "../src/chia/ChiaPeer.js"
import {
  dialerPeerWithRawListener,
  fullNodeOptions,
  handshakePayload,
  listenerPeerWithRawDialer,
  pairWith,
  raw,
  sendFrame,
  take
} from "./helpers.js"

const errorOf = <A>(exit: Exit.Exit<A, PeerError>): PeerError => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a PeerError, got ${String(exit)}`)
  return exit.cause.error
}

const requestBlock = { height: 1, include_transaction_block: false } as const

describe("request ids", () => {
  it("the dialer wraps inside 0…32767 and skips busy ids", () => {
    const ids = makeRequestIds(DIALER_IDS, 32766)
    const busy = new Set([0, 2])
    const got = [1, 2, 3, 4].map(() => ids.allocate((id) => busy.has(id)))
    assert.deepStrictEqual(got, [32766, 32767, 1, 3])
  })

  it("the listener wraps inside 32768…65535", () => {
    const ids = makeRequestIds(LISTENER_IDS, 65535)
    assert.deepStrictEqual([ids.allocate(() => false), ids.allocate(() => false)], [65535, 32768])
  })

  it("yields undefined when the whole half is busy", () => {
    const ids = makeRequestIds(LISTENER_IDS)
    assert.strictEqual(ids.allocate(() => true), undefined)
  })
})

describe("requests", () => {
  it.scoped("yields a reply typed by the reply map, matched by id", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const fiber = yield* Effect.fork(peer.request("request_block", requestBlock))
      const request = yield* remote.next
      assert.strictEqual(request.name, "request_block")
      assert.strictEqual(request.id, 0)
      yield* sendFrame(remote.connection, "reject_block", { height: 1 }, 0)
      const reply = yield* Fiber.join(fiber)
      // Type level: only respond_block | reject_block are possible here.
      const name: "respond_block" | "reject_block" = reply.name
      assert.strictEqual(name, "reject_block")
      if (reply.name === "reject_block") assert.strictEqual(reply.payload.height, 1)
    }))

  it.scoped("the listener's ids start at 32768", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* listenerPeerWithRawDialer({}, { node_type: NodeType.FULL_NODE })
      yield* Effect.fork(peer.request("request_peers", {}))
      const request = yield* remote.next
      assert.strictEqual(request.id, 32768)
    }))

  it.scoped("times out after 60 s without closing; the late reply is ignored and its id skipped", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const fiber = yield* Effect.fork(Effect.exit(peer.request("request_block", requestBlock)))
      yield* remote.next
      yield* TestClock.adjust("59 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 second")
      const error = errorOf(yield* Fiber.join(fiber))
      assert.strictEqual(error.reason, "Timeout")
      assert.strictEqual(error.banSeconds, 0)
      // A late reject_block would be an unsolicited block message (300 s) if it were not recognised as late.
      yield* sendFrame(remote.connection, "reject_block", { height: 1 }, 0)
      const second = yield* Effect.fork(peer.request("request_block", requestBlock))
      const next = yield* remote.next
      assert.strictEqual(next.id, 1)
      yield* sendFrame(remote.connection, "reject_block", { height: 1 }, 1)
      assert.strictEqual((yield* Fiber.join(second)).name, "reject_block")
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("a reply type outside the map: request fails, 1002 \"-4\", 10 s verdict", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const fiber = yield* Effect.fork(Effect.exit(peer.request("request_block", requestBlock)))
      yield* remote.next
      yield* sendFrame(remote.connection, "respond_peers", { peer_list: [] }, 0)
      const error = errorOf(yield* Fiber.join(fiber))
      assert.strictEqual(error.reason, "UnexpectedResponse")
      assert.strictEqual(error.banSeconds, 10)
      const closed = yield* peer.closed
      assert.strictEqual(closed.banSeconds, 10)
      assert.strictEqual(closed.code, 1002)
      assert.strictEqual(closed.reason, "-4")
      const seen = yield* remote.connection.closed
      assert.strictEqual(seen.reason, "-4")
    }))

  it.scoped("an error (255) reply fails with the Error payload; the peer stays open", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const fiber = yield* Effect.fork(Effect.exit(peer.request("request_block", requestBlock)))
      yield* remote.next
      yield* sendFrame(remote.connection, "error", { code: -10, message: "not in chain", data: new Uint8Array([7]) }, 0)
      const error = errorOf(yield* Fiber.join(fiber))
      assert.strictEqual(error.reason, "ErrorResponse")
      assert.strictEqual(error.remoteError?.code, -10)
      assert.strictEqual(error.remoteError?.message, "not in chain")
      assert.deepStrictEqual(error.remoteError?.data, new Uint8Array([7]))
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("a reply with empty data is \"no response\"", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const fiber = yield* Effect.fork(Effect.exit(peer.request("request_block", requestBlock)))
      yield* remote.next
      yield* Effect.orDie(remote.connection.send(new Uint8Array([28, 1, 0, 0, 0, 0, 0, 0])))
      assert.strictEqual(errorOf(yield* Fiber.join(fiber)).reason, "NoResponse")
    }))

  it.scoped("closing fails pending requests with Closed", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const fiber = yield* Effect.fork(Effect.exit(peer.request("request_block", requestBlock)))
      yield* remote.next
      yield* peer.close()
      assert.strictEqual(errorOf(yield* Fiber.join(fiber)).reason, "Closed")
      const closed = yield* peer.closed
      assert.strictEqual(closed.initiator, "local")
      assert.strictEqual(closed.code, 1000)
      assert.strictEqual(errorOf(yield* Effect.exit(peer.send("request_peers", {}))).reason, "Closed")
    }))

  it.scoped("a remote close ends the peer with the remote's code", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      yield* remote.connection.close(1002, "-4")
      const closed = yield* peer.closed
      assert.strictEqual(closed.initiator, "remote")
      assert.strictEqual(closed.code, 1002)
      assert.strictEqual(closed.reason, "-4")
    }))
})

describe("inbound messages", () => {
  it.scoped("a handler's reply carries the request's id", () =>
    Effect.gen(function*() {
      const { remote } = yield* listenerPeerWithRawDialer({
        handlers: {
          request_peers: () =>
            Effect.succeed({
              name: "respond_peers",
              payload: { peer_list: [{ host: "10.0.0.9", port: 8444, timestamp: 5n }] }
            })
        }
      })
      yield* sendFrame(remote.connection, "request_peers", {}, 5)
      const reply = yield* remote.next
      assert.strictEqual(reply.name, "respond_peers")
      assert.strictEqual(reply.id, 5)
    }))

  it.scoped("unsolicited respond_peers is accepted and published", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const got = yield* Effect.fork(take(peer.messages("respond_peers"), 1))
      yield* TestClock.adjust(0)
      yield* sendFrame(remote.connection, "respond_peers", { peer_list: [] })
      const [message] = yield* Fiber.join(got)
      assert.deepStrictEqual(message, { peer_list: [] })
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("a late subscriber gets the last message of the type (replay 1)", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const peak = { header_hash: new Uint8Array(32), height: 7, weight: 9n, fork_point_with_previous_peak: 6 }
      yield* sendFrame(remote.connection, "new_peak_wallet", peak)
      yield* TestClock.adjust(0)
      const [first] = yield* take(peer.messages("new_peak_wallet"), 1)
      assert.strictEqual(first?.height, 7)
    }))

  it.scoped("streams end when the peer closes", () =>
    Effect.gen(function*() {
      const { peer } = yield* dialerPeerWithRawListener()
      const all = yield* Effect.fork(Stream.runCollect(peer.messages("new_peak")))
      yield* TestClock.adjust(0)
      yield* peer.close()
      assert.strictEqual((yield* Fiber.join(all)).length, 0)
    }))

  for (const name of ["respond_block", "respond_blocks", "reject_block", "reject_blocks"] as const) {
    it.scoped(`unsolicited ${name} closes with a 300 s verdict`, () =>
      Effect.gen(function*() {
        const { peer, remote } = yield* dialerPeerWithRawListener()
        if (name === "reject_block") yield* sendFrame(remote.connection, name, { height: 3 })
        else if (name === "reject_blocks") yield* sendFrame(remote.connection, name, { start_height: 1, end_height: 2 })
        else if (name === "respond_blocks") {
          yield* sendFrame(remote.connection, name, { start_height: 1, end_height: 2, blocks: [] })
        } else {
          // respond_block needs a FullBlock; its verdict comes before the payload is parsed, so any bytes will do.
          yield* Effect.orDie(remote.connection.send(new Uint8Array([27, 0, 0, 0, 0, 1, 0])))
        }
        const closed = yield* peer.closed
        assert.strictEqual(closed.banSeconds, 300)
        assert.strictEqual(closed.code, 1000)
        assert.strictEqual(Option.getOrThrow(closed.error).reason, "UnsolicitedResponse")
      }))
  }

  it.scoped("a message the sender's node type may not send: 1002 \"1\", 10 s", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      yield* sendFrame(remote.connection, "respond_peers_introducer", { peer_list: [] })
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "ForbiddenSender")
      assert.strictEqual(closed.code, 1002)
      assert.strictEqual(closed.reason, "1")
      assert.strictEqual(closed.banSeconds, 10)
    }))

  it.scoped("an unknown message type: 1002 \"-4\", 10 s", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      yield* Effect.orDie(remote.connection.send(new Uint8Array([200, 0, 0, 0, 0, 0])))
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "MalformedMessage")
      assert.strictEqual(closed.reason, "-4")
      assert.strictEqual(closed.banSeconds, 10)
    }))

  it.scoped("an unparsable payload: 1002 \"1\", 10 s", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      yield* Effect.orDie(remote.connection.send(new Uint8Array([20, 0, 0, 0, 0, 2, 1, 2])))
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "MalformedPayload")
      assert.strictEqual(closed.reason, "1")
    }))

  it.scoped("unhandled policy \"reject\": a message without handler closes 1002 \"1\"", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener({ config: { unhandled: "reject" } })
      yield* sendFrame(remote.connection, "request_peers", {}, 1)
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "UnhandledMessage")
      assert.strictEqual(closed.reason, "1")
    }))

  it.scoped("a failing handler closes 1002 \"1\" with 10 s", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* listenerPeerWithRawDialer({
        handlers: { request_peers: () => Effect.dieMessage("boom") }
      })
      yield* sendFrame(remote.connection, "request_peers", {}, 1)
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "HandlerFailed")
      assert.strictEqual(closed.banSeconds, 10)
    }))

  it.scoped("a frame over the size limit: the transport closes, the verdict is 300 s", () =>
    Effect.gen(function*() {
      const ends = yield* pairWith({ maxFrameSize: 1024 })
      const remote = yield* raw(ends.dialer)
      yield* sendFrame(ends.dialer, "handshake", handshakePayload())
      const peer = yield* ChiaPeer.accept(ends.listener, fullNodeOptions)
      yield* remote.next
      yield* sendFrame(ends.dialer, "respond_peers", {
        peer_list: Array.from({ length: 100 }, (_, i) => ({ host: `10.1.0.${i}`, port: 8444, timestamp: 1n }))
      })
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "FrameTooLarge")
      assert.strictEqual(closed.banSeconds, 300)
    }))
})
