import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Option, Ref, TestClock } from "effect"
import { dialerPeerWithRawListener, listenerPeerWithRawDialer, sendFrame, DIALER_HOST, LISTEN } from "./helpers.js"

describe("heartbeat", () => {
  it.scoped("the dialer drops a silent remote 60 + 30 s after the last ping started", () =>
    Effect.gen(function*() {
      const { network, peer } = yield* dialerPeerWithRawListener()
      yield* network.setLinkFaults(LISTEN.host, DIALER_HOST, { blackhole: true })
      yield* TestClock.adjust("89 seconds")
      assert.isFalse(yield* peer.isClosed)
      yield* TestClock.adjust("1 second")
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "HeartbeatTimeout")
      assert.strictEqual(closed.banSeconds, 0)
    }))

  it.scoped("answered pings keep the connection up", () =>
    Effect.gen(function*() {
      const { peer } = yield* dialerPeerWithRawListener({ config: { idleTimeout: undefined } })
      yield* TestClock.adjust("10 minutes")
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("the listener sends no pings (a silent remote is only caught by the idle close)", () =>
    Effect.gen(function*() {
      const { network, peer } = yield* listenerPeerWithRawDialer()
      yield* network.setLinkFaults(LISTEN.host, DIALER_HOST, { blackhole: true })
      yield* TestClock.adjust("1799 seconds")
      assert.isFalse(yield* peer.isClosed)
    }))
})

describe("idle close", () => {
  it.scoped("no message for 1800 s closes without ban", () =>
    Effect.gen(function*() {
      const { peer } = yield* listenerPeerWithRawDialer()
      yield* TestClock.adjust("1799 seconds")
      assert.isFalse(yield* peer.isClosed)
      yield* TestClock.adjust("1 second")
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "IdleTimeout")
      assert.strictEqual(closed.banSeconds, 0)
      assert.strictEqual(closed.code, 1000)
    }))

  it.scoped("every message restarts the idle clock", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* listenerPeerWithRawDialer()
      yield* TestClock.adjust("1000 seconds")
      yield* sendFrame(remote.connection, "request_peers", {})
      yield* TestClock.adjust("1799 seconds")
      assert.isFalse(yield* peer.isClosed)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(Option.getOrThrow((yield* peer.closed).error).reason, "IdleTimeout")
    }))
})

describe("handlers", () => {
  it.scoped("a handler over 600 s is interrupted, nothing is sent, the peer stays up", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const { peer, remote } = yield* listenerPeerWithRawDialer({
        handlers: {
          request_peers: () =>
            Effect.flatMap(Ref.getAndUpdate(calls, (n) => n + 1), (n) =>
              Effect.as(n === 0 ? Effect.never : Effect.void, {
                name: "respond_peers" as const,
                payload: { peer_list: [] }
              }))
        }
      })
      yield* sendFrame(remote.connection, "request_peers", {}, 1)
      yield* TestClock.adjust("600 seconds")
      yield* sendFrame(remote.connection, "request_peers", {}, 2)
      const reply = yield* remote.next
      assert.strictEqual(reply.id, 2)
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("at most handlerConcurrency handlers run at once", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make(0)
      const most = yield* Ref.make(0)
      const done = yield* Ref.make(0)
      const gate = yield* Deferred.make<void>()
      const { remote } = yield* listenerPeerWithRawDialer({
        config: { handlerConcurrency: 3 },
        handlers: {
          new_peak: () =>
            Effect.gen(function*() {
              const now = yield* Ref.updateAndGet(running, (n) => n + 1)
              yield* Ref.update(most, (m) => Math.max(m, now))
              yield* Deferred.await(gate)
              yield* Ref.update(running, (n) => n - 1)
              yield* Ref.update(done, (n) => n + 1)
            })
        }
      })
      const peak = {
        header_hash: new Uint8Array(32),
        height: 1,
        weight: 1n,
        fork_point_with_previous_peak: 0,
        unfinished_reward_block_hash: new Uint8Array(32)
      }
      for (let i = 0; i < 10; i++) yield* sendFrame(remote.connection, "new_peak", peak)
      yield* TestClock.adjust(0)
      assert.strictEqual(yield* Ref.get(running), 3)
      yield* Deferred.succeed(gate, undefined)
      yield* TestClock.adjust(0)
      assert.strictEqual(yield* Ref.get(done), 10)
      assert.strictEqual(yield* Ref.get(most), 3)
    }))
})
