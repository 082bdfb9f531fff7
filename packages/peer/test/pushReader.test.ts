/**
 * The push reader's guarantees (`internal/peerRuntime.ts`, `internal/lane.ts`), on the in-memory transport under
 * TestClock: frames taken with the handshake come first and in order, a full handler queue or notification mailbox
 * pauses reading (back-pressure down to the remote's `send`) without losing or reordering anything, interrupted
 * requesters leave their ids reserved, replies the transport cannot take at once still go out in order, and a
 * violation found while handling a frame stops everything behind it. Section 7 holds regression tests: a lane job that
 * finishes at once, a handler timeout, a remote close during a lane wait, replies waiting for the transport while
 * requests keep coming, and replies after the late-response window.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Exit, Fiber, Option, Stream, TestClock } from "effect"
import type { Connection, DialOptions, ListenOptions } from "@peerwire/transport"
import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
import type { ChiaMessage } from "@peerwire/codec/chia/Catalogue"
import * as ChiaPeer from "../src/chia/ChiaPeer.js"
import type { PeerError } from "../src/PeerError.js"
import {
  DIALER_HOST,
  dialerPeerWithRawListener,
  frame,
  fullNodeOptions,
  handshakePayload,
  LISTEN,
  listenerPeerWithRawDialer,
  type Raw,
  raw,
  sendFrame
} from "./helpers.js"

// ---- helpers ------------------------------------------------------------------------------------------------------

/** Rounds of `TestClock.adjust(0)` (each waits until every fiber of the test is suspended) before giving up. */
const ROUNDS = 20

/** Lets every fiber run until all are suspended; no simulated time passes. */
const settle = Effect.zipRight(TestClock.adjust(0), TestClock.adjust(0))

/** The fiber's result once it is done; dies (a bounded wait) when it is still running after `ROUNDS` settles. */
const within = <A, E>(fiber: Fiber.Fiber<A, E>, what: string, step: number = 0): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    for (let round = 0; round < ROUNDS; round++) {
      const polled = yield* Fiber.poll(fiber)
      if (Option.isSome(polled)) return yield* polled.value
      yield* TestClock.adjust(step)
    }
    return yield* Effect.dieMessage(`${what}: still waiting after ${ROUNDS} rounds`)
  })

const isRunning = <A, E>(fiber: Fiber.Fiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isNone)

const peak = (height: number) => ({
  header_hash: new Uint8Array(32),
  height,
  weight: 1n,
  fork_point_with_previous_peak: 0,
  unfinished_reward_block_hash: new Uint8Array(32)
})

/** respond_peers naming the request id it answers in its only entry's port. */
const peersFor = (id: number | undefined) => ({
  name: "respond_peers" as const,
  payload: { peer_list: [{ host: "10.0.0.9", port: id ?? 0, timestamp: 0n }] }
})

const portOf = (message: ChiaMessage): number | undefined =>
  message.name === "respond_peers" ? message.payload.peer_list[0]?.port : undefined

const errorOf = <A>(exit: Exit.Exit<A, PeerError>): PeerError => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a PeerError, got ${String(exit)}`)
  return exit.cause.error
}

/** Everything the raw side still receives until its connection ends (bounded). */
const drain = (remote: Raw) =>
  Effect.gen(function*() {
    const seen: Array<ChiaMessage> = []
    for (let i = 0; i < 100; i++) {
      const next = yield* remote.nextOption
      if (Option.isNone(next)) return seen
      seen.push(next.value)
    }
    return yield* Effect.dieMessage("the connection did not end")
  })

/** A connection that records what the peer does with it; everything else is the wrapped connection's. */
const spy = (connection: Connection) => {
  const batches: Array<number> = []
  const offers: Array<boolean> = []
  let pushed = 0
  const take = connection.takeFrames
  const spied: Connection = {
    ...connection,
    // Pulled batches: the handshake's reader (push delivery does not go through here).
    takeFrames: take === undefined ? undefined : Effect.tap(take, (batch) =>
      Effect.sync(() => {
        batches.push(batch.length)
      })),
    unsafeOffer: (bytes) => {
      const accepted = connection.unsafeOffer(bytes)
      offers.push(accepted)
      return accepted
    },
    deliverTo: (consumer) =>
      connection.deliverTo({
        onFrame: (bytes) => {
          pushed++
          return consumer.onFrame(bytes)
        },
        onEnd: consumer.onEnd
      })
  }
  return { connection: spied, batches, offers, pushed: () => pushed }
}

/** Raw connection ends with transport options of our choosing (both ends see the in-memory network). */
const pairWithOptions = (options: {
  readonly dial?: DialOptions
  readonly listen?: Omit<ListenOptions, "host" | "port">
}) =>
  Effect.gen(function*() {
    const network = yield* MemoryTransport.makeNetwork()
    const server = network.transport({ host: LISTEN.host })
    const client = network.transport({ host: DIALER_HOST })
    const listener = yield* Effect.orDie(server.listen({ ...options.listen, host: LISTEN.host, port: LISTEN.port }))
    const dialer = yield* Effect.orDie(client.dial(LISTEN, options.dial))
    const accepted = yield* Stream.runHead(listener.connections)
    return { network, dialer, listener: Option.getOrThrow(accepted) }
  })

/**
 * A listener ChiaPeer on a spied connection and a raw full-node dialer that sends its handshake and then `burst`
 * (before the peer starts, so everything is already waiting), and reads the handshake reply.
 */
const listenerPeer = (
  options: Partial<ChiaPeer.ChiaPeerOptions>,
  transport: Parameters<typeof pairWithOptions>[0] = {},
  burst: ReadonlyArray<Uint8Array> = []
) =>
  Effect.gen(function*() {
    const ends = yield* pairWithOptions(transport)
    const remote = yield* raw(ends.dialer)
    yield* Effect.orDie(ends.dialer.send(frame("handshake", handshakePayload())))
    for (const bytes of burst) yield* Effect.orDie(ends.dialer.send(bytes))
    const watched = spy(ends.listener)
    const peer = yield* ChiaPeer.accept(watched.connection, { ...fullNodeOptions, ...options })
    return { ...ends, remote, peer, watched }
  })

const exempt = { exemptFromRateLimits: true } as const

/** Frame `i` of a mixed sequence: odd = new_peak of height i, even = request_peers with id i. */
const mixedFrame = (i: number): Uint8Array =>
  i % 2 === 1 ? frame("new_peak", peak(i)) : frame("request_peers", {}, i)
const mixedLog = (i: number): string => (i % 2 === 1 ? `peak ${i}` : `request ${i}`)
const range = (from: number, to: number): Array<number> => Array.from({ length: to - from + 1 }, (_, k) => from + k)

/** Handlers that record, in the order they are invoked, what the peer dispatched to them. */
const recordingHandlers = (log: Array<string>): ChiaPeer.ChiaHandlers => ({
  new_peak: ({ height }) => {
    log.push(`peak ${height}`)
    return Effect.void
  },
  request_peers: (_, { id }) => {
    log.push(`request ${id}`)
    return Effect.succeed(peersFor(id))
  }
})

// ---- 1. frames taken with the handshake ---------------------------------------------------------------------------

describe("frames that came with the handshake", () => {
  it.scoped("are all handled, in order, before the frames read by push delivery", () =>
    Effect.gen(function*() {
      const early = 12
      const late = 8
      const log: Array<string> = []
      const { peer, remote, watched } = yield* listenerPeer(
        { config: exempt, handlers: recordingHandlers(log) },
        {},
        range(1, early).map(mixedFrame)
      )
      // Sent as soon as the peer exists: these are for push delivery (they may already wait when it starts).
      for (const i of range(early + 1, early + late)) yield* Effect.orDie(remote.connection.send(mixedFrame(i)))
      // The handshake's read took the handshake and the whole burst in one batch: the burst was left in the reader.
      assert.strictEqual(watched.batches[0], 1 + early)
      assert.strictEqual((yield* remote.next).name, "handshake")
      const replies: Array<number | undefined> = []
      for (let k = 0; k < (early + late) / 2; k++) {
        const reply = yield* remote.next
        assert.strictEqual(reply.name, "respond_peers")
        assert.strictEqual(portOf(reply), reply.id)
        replies.push(reply.id)
      }
      yield* settle
      assert.deepStrictEqual(log, range(1, early + late).map(mixedLog))
      assert.deepStrictEqual(replies, range(1, early + late).filter((i) => i % 2 === 0))
      // Only the later frames went through push delivery; none of the burst was delivered twice.
      assert.strictEqual(watched.pushed(), late)
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("notifications that came with the handshake reach the streams in order", () =>
    Effect.gen(function*() {
      const count = 6
      const { peer, remote } = yield* listenerPeer(
        { config: { ...exempt, notificationReplay: count + 2 } },
        {},
        range(1, count).map((h) => frame("new_peak", peak(h)))
      )
      for (const h of range(count + 1, count + 2)) yield* sendFrame(remote.connection, "new_peak", peak(h))
      yield* settle
      // Replay holds every message so far, in arrival order: the burst first, then the later ones.
      const replayed = yield* Effect.fork(Stream.runCollect(Stream.take(peer.messages("new_peak"), count + 2)))
      const heights = Chunk.toReadonlyArray(yield* within(replayed, "the replay")).map((p) => p.height)
      assert.deepStrictEqual(heights, range(1, count + 2))
    }))
})

// ---- 2. back-pressure through the handler pool --------------------------------------------------------------------

describe("a full handler queue", () => {
  it.scoped("stops reading (the remote's send waits) and loses nothing; handlers run in order once released", () =>
    Effect.gen(function*() {
      const total = 20
      const concurrency = 1
      const queueSize = 2
      const invoked: Array<number | undefined> = []
      const started: Array<number | undefined> = []
      const gate = yield* Deferred.make<void>()
      // request_peers frames are 8 bytes: the remote may have 2 unread by the peer before its send waits.
      const { peer, remote } = yield* listenerPeer(
        {
          config: { ...exempt, handlerConcurrency: concurrency, dispatchQueueSize: queueSize },
          handlers: {
            request_peers: (_, { id }) => {
              invoked.push(id)
              return Effect.gen(function*() {
                started.push(id)
                yield* Deferred.await(gate)
                return peersFor(id)
              })
            }
          }
        },
        { dial: { highWaterMark: 16 } }
      )
      assert.strictEqual((yield* remote.next).name, "handshake")
      let sent = 0
      const sender = yield* Effect.fork(Effect.forEach(range(1, total), (id) =>
        Effect.zipRight(
          sendFrame(remote.connection, "request_peers", {}, id),
          Effect.sync(() => {
            sent++
          })
        ), { discard: true }))
      yield* settle
      yield* settle
      // One handler runs, `queueSize` wait, at most one more is held by the reader: nothing else was dispatched …
      assert.deepStrictEqual(started, [1])
      assert.isAtMost(invoked.length, concurrency + queueSize + 1)
      assert.deepStrictEqual(invoked, range(1, invoked.length))
      // … and the rest stays with the remote: the peer stopped reading, so the remote's send waits.
      assert.isTrue(yield* isRunning(sender))
      assert.isBelow(sent, total / 2)
      assert.isFalse(yield* peer.isClosed)

      yield* Deferred.succeed(gate, undefined)
      const replies: Array<number | undefined> = []
      for (let k = 0; k < total; k++) {
        const reply = yield* within(yield* Effect.fork(remote.next), `reply ${k + 1}`)
        assert.strictEqual(portOf(reply), reply.id)
        replies.push(reply.id)
      }
      yield* within(sender, "the remote's sends")
      assert.deepStrictEqual(replies, range(1, total))
      assert.deepStrictEqual(started, range(1, total))
      assert.deepStrictEqual(invoked, range(1, total))
      assert.isFalse(yield* peer.isClosed)
    }))
})

// ---- 3. a full notification mailbox -------------------------------------------------------------------------------

describe("a full notification mailbox", () => {
  it.scoped("pauses reading until the subscriber reads; nothing is lost or overtaken, and reading resumes", () =>
    Effect.gen(function*() {
      const count = 8
      const { peer, remote } = yield* dialerPeerWithRawListener({
        config: { ...exempt, notificationBuffer: 2, notificationReplay: 0 }
      })
      const gate = yield* Deferred.make<void>()
      // A subscriber that does not read past its first message until the gate opens.
      const subscriber = yield* Effect.fork(
        peer.messages("new_peak").pipe(
          Stream.mapEffect((p) => Effect.as(Deferred.await(gate), p.height)),
          Stream.take(count),
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray)
        )
      )
      yield* settle
      const first = yield* Effect.fork(peer.request("request_block", { height: 1, include_transaction_block: false }))
      const request = yield* remote.next
      assert.strictEqual(request.name, "request_block")
      for (const h of range(1, count)) yield* sendFrame(remote.connection, "new_peak", peak(h))
      // The reply comes behind the notifications: it must not be handled before them.
      yield* sendFrame(remote.connection, "reject_block", { height: 1 }, request.id)
      yield* settle
      yield* settle
      assert.isTrue(yield* isRunning(first), "the reply behind a blocked notification was handled early")
      assert.isTrue(yield* isRunning(subscriber))
      assert.isFalse(yield* peer.isClosed)

      yield* Deferred.succeed(gate, undefined)
      assert.deepStrictEqual(yield* within(subscriber, "the subscriber"), range(1, count))
      const reply = yield* within(first, "the first request")
      assert.strictEqual(reply.name, "reject_block")
      // Delivery resumed: a new exchange goes through.
      const second = yield* Effect.fork(peer.request("request_block", { height: 2, include_transaction_block: false }))
      const again = yield* remote.next
      yield* sendFrame(remote.connection, "reject_block", { height: 2 }, again.id)
      const answer = yield* within(second, "the second request")
      assert.isTrue(answer.name === "reject_block" && answer.payload.height === 2)
      assert.isFalse(yield* peer.isClosed)
    }))
})

// ---- 4. interrupted requesters ------------------------------------------------------------------------------------

describe("a request whose caller is interrupted", () => {
  const block = (height: number) => ({ height, include_transaction_block: false })

  it.scoped("its reply is dropped when it comes; the next request gets its own reply", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const interrupted = yield* Effect.fork(peer.request("request_block", block(1)))
      const sent = yield* remote.next
      yield* Fiber.interrupt(interrupted)
      const next = yield* Effect.fork(peer.request("request_block", block(2)))
      const second = yield* remote.next
      assert.notStrictEqual(second.id, sent.id)
      // An unsolicited reject_block closes with a 300 s ban: it must be recognised as the interrupted one's reply.
      yield* sendFrame(remote.connection, "reject_block", { height: 1 }, sent.id)
      yield* sendFrame(remote.connection, "reject_block", { height: 2 }, second.id)
      const reply = yield* within(next, "the second request")
      assert.isTrue(reply.name === "reject_block" && reply.payload.height === 2)
      yield* settle
      assert.isFalse(yield* peer.isClosed)
      // And the ids go on working.
      const third = yield* Effect.fork(peer.request("request_block", block(3)))
      const message = yield* remote.next
      yield* sendFrame(remote.connection, "reject_block", { height: 3 }, message.id)
      const last = yield* within(third, "the third request")
      assert.isTrue(last.name === "reject_block" && last.payload.height === 3)
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("after the request's own deadline its id stays reserved: a reply then is still dropped", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener()
      const caller = yield* Effect.fork(Effect.exit(peer.request("request_block", block(1)).pipe(
        Effect.timeout("5 seconds")
      )))
      const sent = yield* remote.next
      yield* TestClock.adjust("5 seconds")
      const exit = yield* within(caller, "the caller")
      assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag === "TimeoutException")
      // The request's own deadline (60 s) passes: its id goes into the late-response window.
      yield* TestClock.adjust("60 seconds")
      assert.isFalse(yield* peer.isClosed)
      yield* sendFrame(remote.connection, "reject_block", { height: 1 }, sent.id)
      yield* settle
      assert.isFalse(yield* peer.isClosed, "a late reply was taken for an unsolicited reject_block")
      const next = yield* Effect.fork(peer.request("request_block", block(2)))
      const second = yield* remote.next
      assert.notStrictEqual(second.id, sent.id)
      yield* sendFrame(remote.connection, "reject_block", { height: 2 }, second.id)
      const reply = yield* within(next, "the next request")
      assert.isTrue(reply.name === "reject_block" && reply.payload.height === 2)
      assert.isFalse(yield* peer.isClosed)
    }))
})

// ---- 5. replies the transport cannot take at once -----------------------------------------------------------------

describe("a handler answering with Effect.succeed when the transport refuses unsafeOffer", () => {
  const handlers: ChiaPeer.ChiaHandlers = { request_peers: (_, { id }) => Effect.succeed(peersFor(id)) }

  it.scoped("back-pressure (a remote that does not read): every reply arrives, in order, once it reads", () =>
    Effect.gen(function*() {
      const total = 8
      // The listener's end may hold 1 unread byte: every reply after the first waits for the remote to read.
      const { peer, remote, watched } = yield* listenerPeer(
        { config: exempt, handlers },
        { listen: { highWaterMark: 1 } }
      )
      assert.strictEqual((yield* remote.next).name, "handshake")
      for (const id of range(1, total)) yield* sendFrame(remote.connection, "request_peers", {}, id)
      yield* settle
      yield* settle
      assert.isTrue(watched.offers.includes(false), "unsafeOffer was never refused: the test missed its point")
      assert.isFalse(yield* peer.isClosed)
      const replies: Array<number | undefined> = []
      for (let k = 0; k < total; k++) {
        const reply = yield* within(yield* Effect.fork(remote.next), `reply ${k + 1}`)
        assert.strictEqual(portOf(reply), reply.id)
        replies.push(reply.id)
      }
      assert.deepStrictEqual(replies, range(1, total))
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("jitter on the link (unsafeOffer always refuses): replies arrive in order", () =>
    Effect.gen(function*() {
      const total = 10
      const { network, peer, remote, watched } = yield* listenerPeer({ config: exempt, handlers })
      assert.strictEqual((yield* remote.next).name, "handshake")
      yield* network.setLinkFaults(LISTEN.host, DIALER_HOST, { jitter: "4 millis" })
      for (const id of range(1, total)) yield* sendFrame(remote.connection, "request_peers", {}, id)
      const reading = yield* Effect.fork(Effect.forEach(range(1, total), () => remote.next))
      const replies = yield* within(reading, "the replies", 1)
      assert.isTrue(watched.offers.length > 0 && watched.offers.every((accepted) => !accepted))
      assert.deepStrictEqual(replies.map((r) => r.id), range(1, total))
      assert.deepStrictEqual(replies.map(portOf), range(1, total))
      assert.isFalse(yield* peer.isClosed)
    }))
})

// ---- 6. violations found while handling a frame -------------------------------------------------------------------

describe("a violation found while handling a frame", () => {
  it.scoped("a malformed frame closes with its verdict; frames behind it reach no handler", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const { peer, remote } = yield* listenerPeerWithRawDialer({ config: exempt, handlers: recordingHandlers(log) })
      yield* sendFrame(remote.connection, "new_peak", peak(1))
      yield* Effect.orDie(remote.connection.send(new Uint8Array([200, 0, 0, 0, 0, 0])))
      yield* sendFrame(remote.connection, "new_peak", peak(3))
      yield* sendFrame(remote.connection, "request_peers", {}, 4)
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "MalformedMessage")
      assert.strictEqual(closed.code, 1002)
      assert.strictEqual(closed.reason, "-4")
      assert.strictEqual(closed.banSeconds, 10)
      const after = yield* drain(remote)
      yield* settle
      assert.deepStrictEqual(log, ["peak 1"])
      assert.deepStrictEqual(after.map((m) => m.name), [])
      assert.strictEqual((yield* remote.connection.closed).reason, "-4")
    }))

  it.scoped("an unexpected reply type closes with its verdict; frames behind it reach no handler", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const { peer, remote } = yield* dialerPeerWithRawListener({ config: exempt, handlers: recordingHandlers(log) })
      const pending = yield* Effect.fork(
        Effect.exit(peer.request("request_block", { height: 1, include_transaction_block: false }))
      )
      const request = yield* remote.next
      yield* sendFrame(remote.connection, "respond_peers", { peer_list: [] }, request.id)
      yield* sendFrame(remote.connection, "new_peak", peak(2))
      yield* sendFrame(remote.connection, "request_peers", {}, 40_000)
      assert.strictEqual(errorOf(yield* Fiber.join(pending)).reason, "UnexpectedResponse")
      const closed = yield* peer.closed
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "UnexpectedResponse")
      assert.strictEqual(closed.code, 1002)
      assert.strictEqual(closed.banSeconds, 10)
      const after = yield* drain(remote)
      yield* settle
      assert.deepStrictEqual(log, [])
      assert.deepStrictEqual(after.map((m) => m.name), [])
    }))

  it.scoped("among the frames that came with the handshake: the ones behind it are not handled either", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const { peer, remote, watched } = yield* listenerPeer({ config: exempt, handlers: recordingHandlers(log) }, {}, [
        frame("new_peak", peak(1)),
        frame("request_peers", {}, 2),
        new Uint8Array([200, 0, 0, 0, 0, 0]),
        frame("new_peak", peak(4)),
        frame("request_peers", {}, 5)
      ])
      const closed = yield* peer.closed
      assert.strictEqual(watched.batches[0], 6)
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "MalformedMessage")
      assert.strictEqual(closed.reason, "-4")
      const after = yield* drain(remote)
      yield* settle
      assert.deepStrictEqual(log, ["peak 1", "request 2"])
      // The handshake reply and the answer to request 2; nothing for request 5.
      assert.deepStrictEqual(after.map((m) => [m.name, m.id]), [["handshake", undefined], ["respond_peers", 2]])
    }))
})

// ---- 7. regressions -----------------------------------------------------------------------------------------------

/** Waits (bounded, like `within`) until `check` holds, advancing the TestClock by `step` between looks. */
const eventually = (check: () => boolean, what: string, step: number = 0): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (let round = 0; round < ROUNDS; round++) {
      if (check()) return
      yield* TestClock.adjust(step)
    }
    if (!check()) return yield* Effect.dieMessage(`${what}: still waiting after ${ROUNDS} rounds`)
  })

/** The next message the raw side receives, within a bounded wait. */
const nextWithin = (remote: Raw, what: string) => Effect.flatMap(Effect.fork(remote.next), (f) => within(f, what))

describe("a lane job that finishes at once (an unsolicited error message, logged and ignored)", () => {
  const remoteError = { code: 1, message: "nope", data: undefined }

  it.scoped("leaves delivery running: later notifications, requests and replies are handled", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const { peer, remote } = yield* dialerPeerWithRawListener({ config: exempt, handlers: recordingHandlers(log) })
      // Alone (nothing behind it when it is handled) …
      yield* sendFrame(remote.connection, "error", remoteError)
      yield* settle
      yield* sendFrame(remote.connection, "new_peak", peak(7))
      yield* eventually(() => log.length >= 1, "the new_peak after an unsolicited error")
      // … and back to back with the frames behind it.
      yield* sendFrame(remote.connection, "error", remoteError)
      yield* sendFrame(remote.connection, "error", remoteError)
      yield* sendFrame(remote.connection, "new_peak", peak(9))
      yield* sendFrame(remote.connection, "request_peers", {}, 10)
      const answer = yield* nextWithin(remote, "the answer to request_peers")
      assert.strictEqual(answer.name, "respond_peers")
      assert.strictEqual(answer.id, 10)
      assert.deepStrictEqual(log, ["peak 7", "peak 9", "request 10"])
      // Our own request still gets its reply.
      const pending = yield* Effect.fork(peer.request("request_block", { height: 1, include_transaction_block: false }))
      const request = yield* nextWithin(remote, "our request")
      yield* sendFrame(remote.connection, "reject_block", { height: 1 }, request.id)
      const reply = yield* within(pending, "the reply to our request")
      assert.isTrue(reply.name === "reject_block" && reply.payload.height === 1)
      assert.isFalse(yield* peer.isClosed)
    }))
})

describe("a handler interrupted by the handler timeout", () => {
  const handlerTimeout = 10_000

  it.scoped("does not take its worker's place with it (concurrency 1): queued and later requests are answered", () =>
    Effect.gen(function*() {
      const started: Array<number | undefined> = []
      const interrupted: Array<number | undefined> = []
      const gate = yield* Deferred.make<void>()
      const { peer, remote } = yield* listenerPeerWithRawDialer({
        config: { ...exempt, handlerConcurrency: 1, handlerTimeout: `${handlerTimeout} millis` },
        handlers: {
          // Never a completed effect: every one of them runs in a pool worker.
          request_peers: (_, { id }) =>
            Effect.suspend(() => {
              started.push(id)
              if (id === 1) return Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted.push(id)))
              return Effect.as(id === 4 ? Deferred.await(gate) : Effect.void, peersFor(id))
            })
        }
      })
      yield* sendFrame(remote.connection, "request_peers", {}, 1)
      // Queued behind the handler that never ends (one worker).
      yield* sendFrame(remote.connection, "request_peers", {}, 2)
      const first = yield* Effect.fork(remote.next)
      yield* settle
      yield* settle
      assert.deepStrictEqual(started, [1])
      assert.isTrue(yield* isRunning(first))

      yield* TestClock.adjust(handlerTimeout)
      const queued = yield* within(first, "the reply to the request queued behind the timed-out one")
      assert.deepStrictEqual([queued.id, portOf(queued)], [2, 2])
      assert.deepStrictEqual(interrupted, [1])
      // A request after the timeout is answered as well.
      yield* sendFrame(remote.connection, "request_peers", {}, 3)
      const later = yield* nextWithin(remote, "the reply to a request after the timeout")
      assert.deepStrictEqual([later.id, portOf(later)], [3, 3])
      // The capacity is still one worker, not more: 5 waits behind 4.
      yield* sendFrame(remote.connection, "request_peers", {}, 4)
      yield* sendFrame(remote.connection, "request_peers", {}, 5)
      yield* settle
      yield* settle
      assert.deepStrictEqual(started, [1, 2, 3, 4])
      yield* Deferred.succeed(gate, undefined)
      const fourth = yield* nextWithin(remote, "reply 4")
      const fifth = yield* nextWithin(remote, "reply 5")
      assert.deepStrictEqual([fourth.id, fifth.id], [4, 5])
      assert.deepStrictEqual(started, [1, 2, 3, 4, 5])
      assert.deepStrictEqual(interrupted, [1])
      assert.isFalse(yield* peer.isClosed)
    }))
})

describe("a remote close while the lane waits for room in a full handler queue", () => {
  it.scoped("ends the peer at once (initiator remote) and stops the blocked handlers", () =>
    Effect.gen(function*() {
      const started: Array<number> = []
      const interrupted: Array<number> = []
      const gate = yield* Deferred.make<void>()
      const handlerTimeout = 600_000
      // One step of simulated time between looks: at most ROUNDS seconds in all, far below the handler timeout.
      const step = 1_000
      const { peer, remote, watched } = yield* listenerPeer({
        config: { ...exempt, handlerConcurrency: 1, dispatchQueueSize: 1, handlerTimeout: `${handlerTimeout} millis` },
        handlers: {
          new_peak: ({ height }) =>
            Effect.suspend(() => {
              started.push(height)
              return Effect.onInterrupt(Deferred.await(gate), () => Effect.sync(() => interrupted.push(height)))
            })
        }
      })
      assert.strictEqual((yield* remote.next).name, "handshake")
      const total = 4
      for (const h of range(1, total)) yield* sendFrame(remote.connection, "new_peak", peak(h))
      yield* settle
      yield* settle
      // One handler runs, one waits in the queue, the lane waits for room: delivery is paused.
      assert.deepStrictEqual(started, [1])
      assert.isBelow(watched.pushed(), total)
      const closed = yield* Effect.fork(peer.closed)
      yield* settle
      assert.isTrue(yield* isRunning(closed))

      yield* Effect.orDie(remote.connection.close(1000, "bye"))
      const info = yield* within(closed, "peer.closed after the remote's close", step)
      assert.strictEqual(info.initiator, "remote")
      assert.strictEqual(info.code, 1000)
      assert.strictEqual(info.reason, "bye")
      assert.strictEqual(info.banSeconds, 0)
      assert.isTrue(Option.isNone(info.error))
      assert.isTrue(yield* peer.isClosed)
      yield* eventually(() => interrupted.length > 0, "the blocked handler's interruption")
      assert.deepStrictEqual(interrupted, [1])
      assert.deepStrictEqual(started, [1])
      // Requests fail at once.
      const after = yield* Effect.fork(Effect.exit(peer.request("request_peers", {})))
      assert.strictEqual(errorOf(yield* within(after, "a request after the close")).reason, "Closed")
    }))
})

describe("replies that wait for the transport while the remote keeps sending", () => {
  const answers: ReadonlyArray<readonly [string, ChiaPeer.ChiaHandlers]> = [
    ["answered at once (Effect.succeed)", { request_peers: (_, { id }) => Effect.succeed(peersFor(id)) }],
    // Not a completed effect: the handler runs in a pool worker.
    ["answered from a pool worker", {
      request_peers: (_, { id }) => Effect.suspend(() => Effect.succeed(peersFor(id)))
    }]
  ]

  for (const [kind, handlers] of answers) it.scoped(`go out in the order of their requests, ${kind}`, () =>
    Effect.gen(function*() {
      // The listener's end may hold 1 unread byte: a reply waits for the remote to read the one before it.
      const { peer, remote, watched } = yield* listenerPeer(
        { config: exempt, handlers },
        { listen: { highWaterMark: 1 } }
      )
      assert.strictEqual((yield* remote.next).name, "handshake")
      const ahead = 4
      const total = 12
      for (const id of range(1, ahead)) yield* sendFrame(remote.connection, "request_peers", {}, id)
      yield* settle
      // Each read makes room for one reply, and the next request follows at once (in the same fiber, with no settling
      // in between) while the earlier replies still wait: a fresh reply must not take the room before them.
      const pingPong = yield* Effect.fork(Effect.gen(function*() {
        const got: Array<ChiaMessage> = []
        for (const id of range(ahead + 1, total)) {
          got.push(yield* remote.next)
          yield* sendFrame(remote.connection, "request_peers", {}, id)
        }
        for (let k = 0; k < ahead; k++) got.push(yield* remote.next)
        return got
      }))
      const replies = yield* within(pingPong, "the replies")
      assert.isTrue(watched.offers.includes(false), "unsafeOffer was never refused: the test missed its point")
      assert.deepStrictEqual(replies.map((r) => r.id), range(1, total))
      assert.deepStrictEqual(replies.map(portOf), range(1, total))
      assert.isFalse(yield* peer.isClosed)
    }))
})

describe("a reply to a timed-out request", () => {
  const lateWindow = 30_000
  const requestTimeout = 60_000
  const second = 1_000
  const config = {
    ...exempt,
    lateResponseWindow: `${lateWindow} millis`,
    requestTimeout: `${requestTimeout} millis`
  } as const

  it.scoped("is dropped inside the late-response window and dispatched after it (published, unhandled: ignore)", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener({
        config: { ...config, unhandled: "ignore", notificationReplay: 0 }
      })
      const published = yield* Effect.fork(Stream.runCollect(Stream.take(peer.messages("respond_peers"), 1)))
      yield* settle
      const firstCaller = yield* Effect.fork(Effect.exit(peer.request("request_peers", {})))
      const secondCaller = yield* Effect.fork(Effect.exit(peer.request("request_peers", {})))
      const a = yield* nextWithin(remote, "the first request")
      const b = yield* nextWithin(remote, "the second request")
      assert.notStrictEqual(a.id, b.id)
      yield* TestClock.adjust(requestTimeout)
      assert.strictEqual(errorOf(yield* within(firstCaller, "the first request's timeout")).reason, "Timeout")
      assert.strictEqual(errorOf(yield* within(secondCaller, "the second request's timeout")).reason, "Timeout")
      // Inside the window: dropped, not published.
      yield* TestClock.adjust(lateWindow - second)
      yield* sendFrame(remote.connection, "respond_peers", peersFor(a.id).payload, a.id)
      yield* settle
      assert.isTrue(yield* isRunning(published), "a reply inside the late-response window was published")
      // After the window: an ordinary message again, published to `messages` (no handler, policy "ignore").
      yield* TestClock.adjust(2 * second)
      yield* sendFrame(remote.connection, "respond_peers", peersFor(b.id).payload, b.id)
      const got = Chunk.toReadonlyArray(yield* within(published, "the reply after the window"))
      assert.deepStrictEqual(got.map((p) => p.peer_list[0]?.port), [b.id])
      assert.isFalse(yield* peer.isClosed)
    }))

  it.scoped("a reject_block after the window is an unsolicited block: the peer closes with its verdict", () =>
    Effect.gen(function*() {
      const { peer, remote } = yield* dialerPeerWithRawListener({ config })
      const caller = yield* Effect.fork(
        Effect.exit(peer.request("request_block", { height: 1, include_transaction_block: false }))
      )
      const sent = yield* nextWithin(remote, "the request")
      yield* TestClock.adjust(requestTimeout)
      assert.strictEqual(errorOf(yield* within(caller, "the request's timeout")).reason, "Timeout")
      yield* TestClock.adjust(lateWindow + second)
      assert.isFalse(yield* peer.isClosed)
      yield* sendFrame(remote.connection, "reject_block", { height: 1 }, sent.id)
      const closed = yield* within(yield* Effect.fork(peer.closed), "the close after an unsolicited reject_block")
      assert.strictEqual(closed.initiator, "local")
      assert.strictEqual(Option.getOrThrow(closed.error).reason, "UnsolicitedResponse")
      assert.strictEqual(closed.code, 1000)
      assert.strictEqual(closed.banSeconds, 300)
    }))
})
