import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option, TestClock } from "effect"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import * as ChiaPeer from "../src/chia/ChiaPeer.js"
import { makeRateLimiter } from "../src/internal/rateLimiter.js"
import { RATE_LIMITS_V1, v1Table, v2Table } from "../src/chia/RateLimitTable.js"
import {
  connectedPair,
  dialerPeerWithRawListener,
  fullNodeOptions,
  handshakePayload,
  listenerPeerWithRawDialer,
  raw,
  sendFrame
} from "./helpers.js"

const REQUEST_PEERS = 43
const NEW_PEAK = 20

describe("rate-limit table", () => {
  it("has a v1 rule for every message type", () => {
    assert.strictEqual(Object.keys(RATE_LIMITS_V1).length, 112)
    const requestPeers = { kind: "aggregate", frequency: 10, maxSize: 100, maxTotalSize: 1000 } as const
    assert.deepStrictEqual(v1Table.rule(REQUEST_PEERS), requestPeers)
    assert.deepStrictEqual(v1Table.rule(27), { kind: "unlimited", maxSize: 2 * 1024 * 1024 })
    // v2 override: request_header_blocks 500 → 5000.
    assert.deepStrictEqual(v1Table.rule(60), { kind: "aggregate", frequency: 500, maxSize: 100, maxTotalSize: 50000 })
    const v2 = v2Table.rule(60)
    assert.isTrue(v2 !== undefined && v2.kind === "aggregate" && v2.frequency === 5000)
  })

  it("counts in fixed windows; inbound counts violations too, outbound only what passes", () => {
    const inbound = makeRateLimiter({ table: v1Table, percent: 100 }, "inbound")
    for (let i = 0; i < 10; i++) assert.isTrue(inbound.check(REQUEST_PEERS, 0, 1000))
    assert.isFalse(inbound.check(REQUEST_PEERS, 0, 59_999))
    assert.isTrue(inbound.check(REQUEST_PEERS, 0, 60_000))
    const outbound = makeRateLimiter({ table: v1Table, percent: 30 }, "outbound")
    const results = [1, 2, 3, 4, 5].map(() => outbound.check(REQUEST_PEERS, 0, 0))
    assert.deepStrictEqual(results, [true, true, true, false, false])
  })

  it("checks the per-message size without the percentage, and the aggregate budget", () => {
    const limiter = makeRateLimiter({ table: v1Table, percent: 30 }, "outbound")
    assert.isTrue(limiter.check(NEW_PEAK, 512, 0))
    assert.isFalse(limiter.check(NEW_PEAK, 513, 0))
    const aggregate = makeRateLimiter({ table: v1Table, percent: 100 }, "inbound")
    // 1000 aggregate messages per window, spread over types with room of their own.
    let passed = 0
    for (let i = 0; i < 1001; i++) if (aggregate.check(i % 2 === 0 ? 69 : 70, 10, 0)) passed++
    assert.strictEqual(passed, 1000)
  })
})

describe("inbound rate limits", () => {
  it.scoped("exactly at the limit passes; one over closes with a 300 s verdict (code 1000)", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* listenerPeerWithRawDialer()
      for (let i = 0; i < 10; i++) yield* sendFrame(remote.connection, "request_peers", {})
      yield* TestClock.adjust(0)
      assert.isFalse(yield* peer.isClosed)
      yield* sendFrame(remote.connection, "request_peers", {})
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "RateLimited")
      assert.strictEqual(closed.banSeconds, 300)
      assert.strictEqual(closed.code, 1000)
    }))

  it.scoped("the counters reset with the next 60 s window", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* listenerPeerWithRawDialer()
      for (let i = 0; i < 10; i++) yield* sendFrame(remote.connection, "request_peers", {})
      yield* TestClock.adjust("60 seconds")
      for (let i = 0; i < 10; i++) yield* sendFrame(remote.connection, "request_peers", {})
      yield* TestClock.adjust(0)
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("exemptFromRateLimits lets everything through", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* listenerPeerWithRawDialer({ config: { exemptFromRateLimits: true } })
      for (let i = 0; i < 50; i++) yield* sendFrame(remote.connection, "request_peers", {})
      yield* TestClock.adjust(0)
      assert.isFalse(yield* peer.isClosed)
    }))
})

describe("outbound rate limits", () => {
  it.scoped("over 30 % the send waits for the next window", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const sends = yield* Effect.fork(Effect.forEach([1, 2, 3, 4], () => peer.send("request_peers", {})))
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* remote.next).name, "request_peers")
      const fourth = yield* Effect.fork(remote.next)
      yield* TestClock.adjust("59 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fourth)))
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fourth)).name, "request_peers")
      yield* Fiber.join(sends)
    }))

  it.scoped("a wallet may use 60 %", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener({ nodeType: NodeType.WALLET })
      yield* Effect.fork(Effect.forEach([1, 2, 3, 4, 5, 6, 7], () => peer.send("request_peers", {})))
      for (let i = 0; i < 6; i++) yield* remote.next
      const seventh = yield* Effect.fork(remote.next)
      yield* TestClock.adjust("30 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(seventh)))
    }))

  it.scoped("respond_peers over the limit is dropped, not delayed", () =>
    Effect.gen(function*() {
      const { remote } = yield* listenerPeerWithRawDialer({
        handlers: { request_peers: () => Effect.succeed({ name: "respond_peers", payload: { peer_list: [] } }) }
      })
      for (let id = 1; id <= 4; id++) yield* sendFrame(remote.connection, "request_peers", {}, id)
      const ids = [yield* remote.next, yield* remote.next, yield* remote.next].map((m) => m.id)
      assert.deepStrictEqual(ids, [1, 2, 3])
      yield* TestClock.adjust("60 seconds")
      yield* sendFrame(remote.connection, "request_peers", {}, 5)
      assert.strictEqual((yield* remote.next).id, 5)
    }))
})

describe("outbound rate limits of replies", () => {
  it.scoped("a reply over the limit waits for the next window (also from an immediate handler)", () =>
    Effect.gen(function*() {
      const { remote } = yield* listenerPeerWithRawDialer({
        handlers: {
          request_fee_estimates: () =>
            Effect.succeed({
              name: "respond_fee_estimates",
              payload: { estimates: { error: undefined, estimates: [] } }
            })
        }
      }, { node_type: NodeType.WALLET })
      for (let id = 1; id <= 4; id++) {
        yield* sendFrame(remote.connection, "request_fee_estimates", { time_targets: [] }, id)
      }
      // respond_fee_estimates: 10 per minute × 30 % = 3.
      const ids = [yield* remote.next, yield* remote.next, yield* remote.next].map((m) => m.id)
      assert.deepStrictEqual(ids, [1, 2, 3])
      const fourth = yield* Effect.fork(remote.next)
      yield* TestClock.adjust("59 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fourth)))
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fourth)).id, 4)
    }))
})

/** A raw full-node dialer that negotiates v3 with a listener ChiaPeer. */
const v3Pair = (options: Partial<ChiaPeer.ChiaPeerOptions>) =>
  Effect.gen(function*() {
    const ends = yield* connectedPair
    const remote = yield* raw(ends.dialer)
    yield* sendFrame(ends.dialer, "handshake", handshakePayload({ capabilities: [[1, "1"], [3, "1"], [7, "1"]] }))
    const accepting = yield* Effect.fork(ChiaPeer.accept(ends.listener, { ...fullNodeOptions, ...options }))
    assert.strictEqual((yield* remote.next).name, "handshake")
    assert.strictEqual((yield* remote.next).name, "configure_window_sizes")
    yield* sendFrame(ends.dialer, "configure_window_sizes", { settings: [[26, 2], [27, 0], [28, 0]] })
    const peer = yield* Fiber.join(accepting)
    return { peer, remote }
  })

describe("v3 windows", () => {
  it.scoped("a third concurrent request of a tracked type closes with 300 s", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* v3Pair({ handlers: { request_block: () => Effect.never } })
      assert.isTrue(peer.info.rateLimitsV3)
      yield* sendFrame(remote.connection, "request_block", { height: 1, include_transaction_block: false }, 1)
      yield* sendFrame(remote.connection, "request_block", { height: 2, include_transaction_block: false }, 2)
      yield* TestClock.adjust(0)
      assert.isFalse(yield* peer.isClosed)
      yield* sendFrame(remote.connection, "request_block", { height: 3, include_transaction_block: false }, 3)
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "WindowExceeded")
      assert.strictEqual(closed.banSeconds, 300)
    }))

  it.scoped("a finished request frees its slot", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const { peer, remote } = yield* v3Pair({
        handlers: {
          request_block: ({ height }) =>
            Effect.as(height === 1 ? Effect.void : Deferred.await(gate), {
              name: "reject_block" as const,
              payload: { height }
            })
        }
      })
      yield* sendFrame(remote.connection, "request_block", { height: 1, include_transaction_block: false }, 1)
      assert.strictEqual((yield* remote.next).id, 1)
      yield* sendFrame(remote.connection, "request_block", { height: 2, include_transaction_block: false }, 2)
      yield* sendFrame(remote.connection, "request_block", { height: 3, include_transaction_block: false }, 3)
      yield* TestClock.adjust(0)
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("outbound: at most the remote's window in flight; the next waits for a reply", () =>
    Effect.gen(function*() {
      const ends = yield* connectedPair
      const remote = yield* raw(ends.listener)
      const dialing = yield* Effect.fork(
        ChiaPeer.fromConnection(ends.dialer, "dialer", { ...fullNodeOptions, rateLimitsV3: true })
      )
      yield* remote.next
      yield* sendFrame(ends.listener, "handshake", handshakePayload({ capabilities: [[1, "1"], [7, "1"]] }))
      yield* remote.next
      yield* sendFrame(ends.listener, "configure_window_sizes", { settings: [[26, 2], [27, 0], [28, 0]] })
      const peer = yield* Fiber.join(dialing)
      const request = (height: number) => peer.request("request_block", { height, include_transaction_block: false })
      yield* Effect.fork(Effect.all([request(1), request(2), request(3)], { concurrency: "unbounded" }))
      const first = yield* remote.next
      yield* remote.next
      const third = yield* Effect.fork(remote.next)
      yield* TestClock.adjust(0)
      assert.isTrue(Option.isNone(yield* Fiber.poll(third)))
      yield* sendFrame(ends.listener, "reject_block", { height: 1 }, first.id)
      assert.strictEqual((yield* Fiber.join(third)).name, "request_block")
    }))
})
