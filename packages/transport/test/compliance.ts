/**
 * The `Transport` compliance suite: one set of behaviours every implementation (memory, ws, wss, later TCP) must show.
 *
 * Usage, from an implementation's `*.compliance.test.ts`:
 * ```ts
 * complianceSuite("memory (plain)", {
 *   layer: MemoryTransport.layerWithNetwork({ host: "127.0.0.1" }),
 *   host: "127.0.0.1", tls: false, clock: "test", backPressureSlack: 0, deadPeerTimeout: "1 second",
 *   kill: (connection) => Effect.flatMap(MemoryNetwork, (network) => network.severConnection(connection.id))
 * })
 * ```
 *
 * Semantics the suite pins down (beyond the TSDoc of `Transport.ts`):
 * - A close handshake (`close(code, reason)`, scope closed) ends the remote's `frames` stream without error after the
 *   frames sent before it, and gives the remote `{ initiator: "remote", code, reason, error: None }`; a dialer's scope
 *   closing sends 1000. The closing side sees `initiator: "local"`.
 * - `frames` fails exactly when `CloseInfo.error` is `Some`, with that error.
 * - The receiver enforces its own `maxFrameSize`: a larger frame closes the connection with 1009, the receiver's
 *   `CloseInfo.error` is `FrameTooLarge` (initiator local), the sender sees code 1009 (initiator remote).
 * - A connection whose link dies without a close frame is seen as closed with 1006 and `ConnectionLost`.
 * - A gate `Reject` fails the dial with `Rejected` and a message that contains the status.
 * - Push delivery (`deliverTo`): the frame for which `onFrame` returns `false` counts as delivered (it is not handed
 *   over again); `resume` when not paused does nothing; `onEnd` waits for a paused consumer to resume and take what is
 *   buffered. A consumer that threw gets nothing more, not even `onEnd` (the connection closes with 1011).
 * - `unsafeOffer` answers `true` on an open, idle connection (both implementations take the plain case); it never
 *   writes what `send` would refuse, and never overtakes a waiting `send`.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Chunk, Duration, Effect, Either, Fiber, Layer, Option, Ref, Stream, TestClock, TestServices } from "effect"
import * as Certificates from "../src/Certificates.js"
import type {
  CloseInfo,
  Connection,
  DialOptions,
  FrameConsumer,
  FrameDelivery,
  GateVerdict,
  InboundRequest,
  Listener,
  ListenOptions,
  TlsIdentity,
  TransportError,
  TransportErrorReason
} from "../src/Transport.js"
import { Transport } from "../src/Transport.js"
import { PushRecorder } from "./pushRecorder.js"

export interface ComplianceHarness<R = never> {
  /**
   * Builds the transport under test; built afresh for every test, in the test's scope (released after the test's
   * connections and listeners). The same `Transport` listens and dials.
   */
  readonly layer: Layer.Layer<Transport | R, unknown>
  /** Host the listeners bind to and the dials go to (`"127.0.0.1"` for sockets). */
  readonly host: string
  /**
   * `true`: every connection of the suite uses mutual TLS with identities issued by one suite CA and `RequireCa`, and
   * the certificate tests run. `false`: plain connections only.
   */
  readonly tls: boolean
  /**
   * `"test"`: tests run under `TestClock` (`it.scoped`); waits are bounded by advancing the clock.
   * `"live"`: real clock (`it.scopedLive`); waits are bounded by real timeouts.
   */
  readonly clock: "test" | "live"
  /** Destroys a connection's link without any close handshake, as if its socket or process died. */
  readonly kill: (connection: Connection) => Effect.Effect<void, never, R>
  /**
   * Bytes the transport may hold beyond the sender's high-water mark before `send` has to wait (kernel socket buffers,
   * the receiver's inbox). 0 for the memory transport.
   */
  readonly backPressureSlack: number
  /** How soon a killed peer's remote end must be seen as closed. */
  readonly deadPeerTimeout: Duration.DurationInput
  /** Bound of each wait in live mode and of a whole test (default 30 seconds). */
  readonly timeout?: Duration.DurationInput | undefined
}

/** Certificates for the TLS tests: a suite CA with a server and a client identity, and a second, foreign CA. */
interface SuiteCertificates {
  readonly ca: TlsIdentity
  readonly server: TlsIdentity
  readonly client: TlsIdentity
  readonly foreignClient: TlsIdentity
  readonly foreignServer: TlsIdentity
}

// RSA key generation is slow: one set per test file, made on first use.
const suiteCertificates: Effect.Effect<SuiteCertificates, unknown> = Effect.runSync(Effect.cached(
  Effect.gen(function*() {
    const ca = yield* Certificates.generateCa()
    const foreignCa = yield* Certificates.generateCa()
    const [server, client, foreignClient, foreignServer] = yield* Effect.all([
      Certificates.generateNodeCertificate(ca),
      Certificates.generateNodeCertificate(ca),
      Certificates.generateNodeCertificate(foreignCa),
      Certificates.generateNodeCertificate(foreignCa)
    ], { concurrency: "unbounded" })
    return { ca, server: server!, client: client!, foreignClient: foreignClient!, foreignServer: foreignServer! }
  })
))

/** Writes frame number `seq` into `frame` (4 bytes or more): the number, then bytes made of it and their offset. */
const fillSequenced = (frame: Uint8Array, seq: number): Uint8Array => {
  new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setUint32(0, seq)
  for (let i = 4; i < frame.length; i++) frame[i] = (seq + i) & 0xff
  return frame
}

const sequenced = (seq: number, size: number): Uint8Array => fillSequenced(new Uint8Array(Math.max(4, size)), seq)

/** Sizes from 4 to 2051 bytes, varying from frame to frame. */
const variedSize = (seq: number): number => 4 + ((seq * 7919) % 2048)

const range = (from: number, to: number): ReadonlyArray<number> => Array.from({ length: to - from }, (_, i) => from + i)

/** `frames` are exactly the frames 0, 1, … `count - 1` of `sendRange`, intact. */
const expectSequence = (
  frames: ReadonlyArray<Uint8Array>,
  count: number,
  size: (seq: number) => number = variedSize
): void => {
  expect(frames.length).toBe(count)
  frames.forEach((frame, seq) => {
    if (frame.length !== size(seq) || !isIntact(frame, seq)) {
      assert.fail(`frame ${seq}: got seq ${seqOf(frame)} of ${frame.length} bytes`)
    }
  })
}

const seqOf = (frame: Uint8Array): number => new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0)

const isIntact = (frame: Uint8Array, seq: number): boolean => {
  for (let i = 4; i < frame.length; i++) if (frame[i] !== ((seq + i) & 0xff)) return false
  return seqOf(frame) === seq
}

const expectReason = <A>(result: Either.Either<A, TransportError>, reason: TransportErrorReason): TransportError => {
  if (Either.isRight(result)) return assert.fail(`expected a ${reason} failure, got a success`)
  expect(result.left._tag).toBe("TransportError")
  expect(result.left.reason).toBe(reason)
  return result.left
}

const expectClose = (info: CloseInfo, expected: Pick<CloseInfo, "initiator" | "code"> & { reason?: string }) => {
  expect(info.initiator).toBe(expected.initiator)
  expect(info.code).toBe(expected.code)
  if (expected.reason !== undefined) expect(info.reason).toBe(expected.reason)
}

export const complianceSuite = <R>(name: string, harness: ComplianceHarness<R>): void => {
  const live = harness.clock === "live"
  const testTimeout = harness.timeout ?? "30 seconds"

  /** Runs `self`, failing the test if it has not completed within `duration` (clock time in test mode). */
  const within = <A, E, R2>(
    self: Effect.Effect<A, E, R2>,
    duration: Duration.DurationInput,
    what: string
  ): Effect.Effect<A, E | Error, R2> =>
    live ?
      Effect.timeoutFail(self, { duration, onTimeout: () => new Error(`${what}: not done within the bound`) }) :
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(self)
        yield* TestClock.adjust(duration)
        // Clock time is up; what is left may be real asynchronous work (certificate checks use WebCrypto), which gets a
        // real-time bound.
        const exit = yield* Effect.option(TestServices.provideLive(Effect.timeout(Fiber.await(fiber), testTimeout)))
        if (Option.isSome(exit)) return yield* exit.value
        yield* Fiber.interrupt(fiber)
        return yield* Effect.fail(new Error(`${what}: not done within the bound`))
      })

  /** Lets forked work run until it is stuck: clock-driven in test mode, until a counter stops moving in live mode. */
  const settle = (progress: Effect.Effect<number>): Effect.Effect<void> =>
    live ?
      Effect.gen(function*() {
        let last = -1
        let stable = 0
        for (let i = 0; i < 200 && stable < 5; i++) {
          yield* Effect.sleep("20 millis")
          const now = yield* progress
          stable = now === last ? stable + 1 : 0
          last = now
        }
      }) :
      Effect.gen(function*() {
        for (let i = 0; i < 20; i++) yield* TestClock.adjust("50 millis")
      })

  /**
   * Sends `total` sequenced frames of `frameSize` bytes from a forked writer until back-pressure stops it; yields the
   * bytes sent by then (more than none) and the writer, which must still be blocked.
   */
  const writeUntilBlocked = (connection: Connection, total: number, frameSize: number) =>
    Effect.gen(function*() {
      const sentBytes = yield* Ref.make(0)
      const writer = yield* Effect.fork(
        Effect.forEach(Array.from({ length: total }, (_, seq) => seq), (seq) =>
          Effect.zipRight(connection.send(sequenced(seq, frameSize)), Ref.update(sentBytes, (n) => n + frameSize)), {
          discard: true
        })
      )
      yield* settle(Ref.get(sentBytes))
      const sent = yield* Ref.get(sentBytes)
      expect(Option.isNone(yield* Fiber.poll(writer))).toBe(true)
      expect(sent).toBeGreaterThan(0)
      return { sent, writer }
    })

  type Body = Effect.Effect<void, unknown, Transport | R | Scope.Scope>
  const test = (title: string, body: () => Body) => {
    const run = () =>
      Effect.gen(function*() {
        const context = yield* Layer.build(harness.layer)
        const scoped = Effect.provide(body(), context)
        yield* live ? within(scoped, testTimeout, title) : scoped
      })
    if (live) it.scopedLive(title, run, 60_000)
    else it.scoped(title, run)
  }

  const tlsFor = (identity: TlsIdentity, ca: TlsIdentity) => ({
    identity,
    verify: { _tag: "RequireCa" as const, caPem: [ca.certificatePem] }
  })

  /** Listen options of the suite: the harness host, port 0, suite TLS when the harness asks for it. */
  const listenOptions = (extra: Partial<ListenOptions> = {}): Effect.Effect<ListenOptions, unknown> =>
    harness.tls ?
      Effect.map(suiteCertificates, (c) => ({ host: harness.host, port: 0, tls: tlsFor(c.server, c.ca), ...extra })) :
      Effect.succeed({ host: harness.host, port: 0, ...extra })

  const dialOptions = (extra: DialOptions = {}): Effect.Effect<DialOptions, unknown> =>
    harness.tls ?
      Effect.map(suiteCertificates, (c) => ({ tls: tlsFor(c.client, c.ca), ...extra })) :
      Effect.succeed(extra)

  /** A listener and one connection to it: both ends. */
  const connectedPair = (listen: Partial<ListenOptions> = {}, dial: DialOptions = {}) =>
    Effect.gen(function*() {
      const transport = yield* Transport
      const listener = yield* transport.listen(yield* listenOptions(listen))
      const client = yield* transport.dial(listener.address, yield* dialOptions(dial))
      const server = yield* nextConnection(listener)
      return { transport, listener, client, server }
    })

  const nextConnection = (listener: Listener) =>
    within(
      Effect.map(Stream.runHead(listener.connections), Option.getOrThrowWith(() => new Error("no connection"))),
      testTimeout,
      "accepting a connection"
    )

  const collect = (connection: Connection, count: number) =>
    Effect.map(Stream.runCollect(Stream.take(connection.frames, count)), Chunk.toReadonlyArray)

  /** One short wait, for bounded polling: clock time in test mode, real time in live mode. */
  const tick = live ? Effect.sleep("10 millis") : TestClock.adjust("10 millis")

  /** Sends frames `from` (included) to `to` (excluded), each `sequenced`, one after the other. */
  const sendRange = (connection: Connection, from: number, to: number, size: (seq: number) => number = variedSize) =>
    Effect.forEach(range(from, to), (seq) => connection.send(sequenced(seq, size(seq))), { discard: true })

  /**
   * Waits until the frames `from` has sent so far have reached the other end's inbound buffer. On a socket the pong
   * comes back behind them (the remote reads them before the ping); the memory transport delivers them when they are
   * sent (no latency configured), and its ping takes no time.
   */
  /** The receiver of an oversized frame closed with 1009 `FrameTooLarge`; the sender sees the remote's 1009. */
  const expectOversizeClosed = (receiving: Connection, sending?: Connection) =>
    Effect.gen(function*() {
      const receiver = yield* within(receiving.closed, testTimeout, "receiver closed")
      expectClose(receiver, { initiator: "local", code: 1009 })
      expect(Option.map(receiver.error, (e) => e.reason)).toEqual(Option.some("FrameTooLarge"))
      if (sending !== undefined) {
        expectClose(yield* within(sending.closed, testTimeout, "sender closed"), { initiator: "remote", code: 1009 })
      }
    })

  const arrived = (from: Connection) => within(from.ping("10 seconds"), testTimeout, "ping behind the frames sent")

  describe(`Transport compliance: ${name}`, () => {
    test("keeps thousands of frames in order, both directions at once", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        const count = 3000
        const sizeOf = (seq: number) => 4 + ((seq * 7919) % 2048)
        const sendAll = (connection: Connection) =>
          Effect.forEach(Array.from({ length: count }, (_, seq) => seq), (seq) =>
            connection.send(sequenced(seq, sizeOf(seq))), { discard: true })
        const checkAll = (connection: Connection) =>
          Effect.map(collect(connection, count), (frames) => {
            expect(frames.length).toBe(count)
            frames.forEach((frame, seq) => {
              if (frame.length !== sizeOf(seq) || !isIntact(frame, seq)) {
                assert.fail(`frame ${seq}: got seq ${seqOf(frame)} of ${frame.length} bytes`)
              }
            })
          })
        yield* within(
          Effect.all([sendAll(client), sendAll(server), checkAll(server), checkAll(client)], {
            concurrency: "unbounded",
            discard: true
          }),
          testTimeout,
          "exchanging frames"
        )
      }))

    test("delivers copies: the sender may reuse its buffer, the receiver may keep what it got", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        for (const [from, to] of [[client, server], [server, client]] as const) {
          const buffer = sequenced(1, 64)
          yield* from.send(buffer)
          buffer.fill(0xee)
          yield* from.send(buffer)
          const [first, second] = yield* within(collect(to, 2), testTimeout, "receiving")
          expect(isIntact(first!, 1)).toBe(true)
          expect(second!.every((b) => b === 0xee)).toBe(true)
        }
      }))

    test("back-pressure: a reader that does not read suspends the writer near the high-water mark", () =>
      Effect.gen(function*() {
        const highWaterMark = 64 * 1024
        const frameSize = 16 * 1024
        const total = Math.ceil((highWaterMark + harness.backPressureSlack) / frameSize) + 32
        const { client, server } = yield* connectedPair({}, { highWaterMark })
        const { sent, writer } = yield* writeUntilBlocked(client, total, frameSize)
        expect(sent).toBeLessThanOrEqual(highWaterMark + harness.backPressureSlack + frameSize)
        // Reading releases the writer; everything arrives in order.
        const frames = yield* within(collect(server, total), testTimeout, "draining")
        expect(frames.map(seqOf)).toEqual(Array.from({ length: total }, (_, seq) => seq))
        yield* within(Fiber.join(writer), testTimeout, "writer finishing")
      }))

    test("close propagates from the dialer with code and reason, after the frames sent before it", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        for (let seq = 0; seq < 3; seq++) yield* client.send(sequenced(seq, 16))
        yield* client.close(4000, "client bye")
        const frames = yield* within(Stream.runCollect(server.frames), testTimeout, "server reading to the end")
        expect(Chunk.toReadonlyArray(frames).map(seqOf)).toEqual([0, 1, 2])
        const remote = yield* within(server.closed, testTimeout, "server closed")
        expectClose(remote, { initiator: "remote", code: 4000, reason: "client bye" })
        expect(Option.isNone(remote.error)).toBe(true)
        const local = yield* within(client.closed, testTimeout, "client closed")
        expectClose(local, { initiator: "local", code: 4000, reason: "client bye" })
        expect(Option.isNone(local.error)).toBe(true)
      }))

    test("close propagates from the acceptor with code and reason", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        yield* server.send(sequenced(7, 16))
        yield* server.close(4001, "server bye")
        const frames = yield* within(Stream.runCollect(client.frames), testTimeout, "client reading to the end")
        expect(Chunk.toReadonlyArray(frames).map(seqOf)).toEqual([7])
        expectClose(yield* within(client.closed, testTimeout, "client closed"), {
          initiator: "remote",
          code: 4001,
          reason: "server bye"
        })
        expectClose(yield* server.closed, { initiator: "local", code: 4001, reason: "server bye" })
      }))

    test("closing the dialer's scope closes the connection normally (1000)", () =>
      Effect.gen(function*() {
        const transport = yield* Transport
        const listener = yield* transport.listen(yield* listenOptions())
        const options = yield* dialOptions()
        yield* Effect.scoped(transport.dial(listener.address, options))
        const server = yield* nextConnection(listener)
        const info = yield* within(server.closed, testTimeout, "server closed")
        expectClose(info, { initiator: "remote", code: 1000 })
        expect(Option.isNone(info.error)).toBe(true)
      }))

    test("write after close is a typed WriteAfterClose, on both ends", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        yield* client.close()
        yield* client.close() // idempotent
        expectReason(yield* Effect.either(client.send(new Uint8Array(8))), "WriteAfterClose")
        yield* within(server.closed, testTimeout, "server closed")
        expectReason(yield* Effect.either(server.send(new Uint8Array(8))), "WriteAfterClose")
      }))

    test("frames at the size limit pass; one byte over closes with 1009 / FrameTooLarge (listener limit)", () =>
      Effect.gen(function*() {
        const limit = 1024
        const { client, server } = yield* connectedPair({ maxFrameSize: limit })
        yield* client.send(new Uint8Array(0))
        yield* client.send(sequenced(1, limit))
        const [empty, atLimit] = yield* within(collect(server, 2), testTimeout, "frames at the limit")
        expect(empty!.length).toBe(0)
        expect(atLimit!.length).toBe(limit)
        expect(isIntact(atLimit!, 1)).toBe(true)
        yield* client.send(sequenced(2, limit + 1)).pipe(Effect.ignore)
        const failed = yield* within(Effect.either(Stream.runDrain(server.frames)), testTimeout, "receiver closing")
        expectReason(failed, "FrameTooLarge")
        yield* expectOversizeClosed(server, client)
      }))

    test("the dialer's maxFrameSize limits what it accepts", () =>
      Effect.gen(function*() {
        const limit = 512
        const { client, server } = yield* connectedPair({}, { maxFrameSize: limit })
        yield* server.send(sequenced(1, limit))
        const [atLimit] = yield* within(collect(client, 1), testTimeout, "frame at the limit")
        expect(atLimit!.length).toBe(limit)
        yield* server.send(sequenced(2, limit + 1)).pipe(Effect.ignore)
        yield* expectOversizeClosed(client, server)
      }))

    test("hundreds of concurrent connections each echo their own frame", () =>
      Effect.gen(function*() {
        const transport = yield* Transport
        const count = 300
        const listener = yield* transport.listen(yield* listenOptions())
        const echo = (connection: Connection) =>
          connection.frames.pipe(Stream.runForEach((frame) => connection.send(frame)), Effect.ignore)
        yield* Effect.forkScoped(Stream.runForEach(listener.connections, (c) => Effect.forkScoped(echo(c))))
        // Hundreds of handshakes at once are CPU-bound (RSA with TLS): the test is about concurrency, not open latency.
        const options = yield* dialOptions({ openTimeout: testTimeout })
        const echoed = yield* within(
          Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
            Effect.scoped(Effect.gen(function*() {
              const connection = yield* transport.dial(listener.address, options)
              yield* connection.send(sequenced(i, 32))
              const [frame] = yield* collect(connection, 1)
              return seqOf(frame!)
            })), { concurrency: "unbounded" }),
          testTimeout,
          "300 echoes"
        )
        expect(echoed).toEqual(Array.from({ length: count }, (_, i) => i))
      }))

    test("a peer destroyed without a close is seen as closed (1006, ConnectionLost) within a bound", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        yield* client.send(sequenced(1, 16))
        const [first] = yield* within(collect(server, 1), testTimeout, "first frame")
        expect(seqOf(first!)).toBe(1)
        yield* harness.kill(client)
        const info = yield* within(server.closed, harness.deadPeerTimeout, "dead peer detection")
        expectClose(info, { initiator: "remote", code: 1006 })
        expect(Option.map(info.error, (e) => e.reason)).toEqual(Option.some("ConnectionLost"))
        expectReason(yield* Effect.either(Stream.runDrain(server.frames)), "ConnectionLost")
        expect((yield* within(client.closed, harness.deadPeerTimeout, "killed end closed")).code).toBe(1006)
      }))

    test("the gate can reject (the dialer sees Rejected with the status) and later accept", () =>
      Effect.gen(function*() {
        const transport = yield* Transport
        const seen = yield* Ref.make<ReadonlyArray<InboundRequest>>([])
        const gate = (request: InboundRequest) =>
          Effect.map(Ref.getAndUpdate(seen, (all) => [...all, request]), (before): GateVerdict =>
            before.length === 0 ? { _tag: "Reject", status: 403, reason: "banned" } : { _tag: "Accept" })
        const listener = yield* transport.listen(yield* listenOptions({ gate }))
        const options = yield* dialOptions()
        const refused = expectReason(yield* Effect.either(transport.dial(listener.address, options)), "Rejected")
        expect(refused.message).toContain("403")
        const client = yield* transport.dial(listener.address, options)
        const server = yield* nextConnection(listener)
        expect(server.remote.port).toBe(client.local.port)
        expect(server.direction).toBe("inbound")
        expect(client.direction).toBe("outbound")
        const requests = yield* Ref.get(seen)
        expect(requests.length).toBe(2)
        expect(requests[1]!.remote.port).toBe(client.local.port)
        expect(Option.isSome(requests[1]!.peerCertificate)).toBe(harness.tls)
      }))

    test("dialing a port nobody listens on fails with DialRefused", () =>
      Effect.gen(function*() {
        const transport = yield* Transport
        const options = yield* listenOptions()
        const address = yield* Effect.scoped(Effect.map(transport.listen(options), (l) => l.address))
        const result = yield* within(Effect.either(transport.dial(address, yield* dialOptions())), testTimeout, "dial")
        expectReason(result, "DialRefused")
      }))

    test("ping yields the round trip on both ends", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        for (const connection of [client, server]) {
          const rtt = yield* within(connection.ping("5 seconds"), testTimeout, "ping")
          expect(Duration.isDuration(rtt)).toBe(true)
          expect(Duration.toMillis(rtt)).toBeGreaterThanOrEqual(0)
          expect(Duration.toMillis(rtt)).toBeLessThan(5000)
        }
      }))

    test("connections have distinct ids and the addresses of both ends", () =>
      Effect.gen(function*() {
        const { client, listener, server } = yield* connectedPair()
        expect(client.id).not.toBe(server.id)
        expect(client.remote).toEqual(listener.address)
        expect(server.local.port).toBe(listener.address.port)
        expect(server.remote.host).toBe(client.local.host)
        expect(Option.isSome(client.peerCertificate)).toBe(harness.tls)
      }))

    // Push delivery (`deliverTo`) and the synchronous send (`unsafeOffer`).

    test("push delivery keeps thousands of frames in order, both directions at once, buffered frames first", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        const early = 200
        const count = 3000
        // Frames that reach the receiver before `deliverTo` wait in its buffer: they must come first.
        yield* Effect.all([sendRange(client, 0, early), sendRange(server, 0, early)], { discard: true })
        yield* arrived(client)
        yield* arrived(server)
        const atServer = new PushRecorder()
        const atClient = new PushRecorder()
        yield* server.deliverTo(atServer.consumer)
        yield* client.deliverTo(atClient.consumer)
        yield* within(
          Effect.all([
            sendRange(client, early, count),
            sendRange(server, early, count),
            atServer.awaitFrames(count),
            atClient.awaitFrames(count)
          ], { concurrency: "unbounded", discard: true }),
          testTimeout,
          "exchanging frames"
        )
        expectSequence(atServer.frames, count)
        expectSequence(atClient.frames, count)
        expect([atServer.ends, atClient.ends]).toEqual([[], []])
      }))

    test("rounds of large bursts (with a large frame inside) arrive whole and in order, both directions", () =>
      Effect.gen(function*() {
        // Batched writes: after a few rounds the ws transport batches every frame of a burst and flushes every few
        // frames; a frame over the batching size in the middle must keep its place.
        const rounds = 12
        const perRound = 50
        const largeAt = 23
        const sizeOf = (seq: number) => (seq % perRound === largeAt ? 100 * 1024 : variedSize(seq))
        const { client, server } = yield* connectedPair()
        const atServer = new PushRecorder()
        const atClient = new PushRecorder()
        yield* server.deliverTo(atServer.consumer)
        yield* client.deliverTo(atClient.consumer)
        const burst = (connection: Connection, round: number) =>
          Effect.gen(function*() {
            for (let seq = round * perRound; seq < (round + 1) * perRound; seq++) {
              const frame = sequenced(seq, sizeOf(seq))
              if (!connection.unsafeOffer(frame)) yield* connection.send(frame)
            }
          })
        for (let round = 0; round < rounds; round++) {
          const expected = (round + 1) * perRound
          const both = [burst(client, round), burst(server, round)]
          const arrivals = [atServer.awaitFrames(expected), atClient.awaitFrames(expected)]
          yield* within(
            Effect.all([...both, ...arrivals], { concurrency: "unbounded", discard: true }),
            testTimeout,
            `round ${round}`
          )
        }
        for (const frames of [atServer.frames, atClient.frames]) {
          expect(frames.length).toBe(rounds * perRound)
          frames.forEach((frame, seq) => {
            if (frame.length !== sizeOf(seq) || !isIntact(frame, seq)) {
              assert.fail(`frame ${seq}: got seq ${seqOf(frame)} of ${frame.length} bytes`)
            }
          })
        }
      }))
    test("push delivery keeps order when frames go by unsafeOffer, falling back on send when it says no", () =>
      Effect.gen(function*() {
        // A small high-water mark on both ends, so that back-pressure (and with it the fallback) is likely.
        const highWaterMark = 16 * 1024
        const { client, server } = yield* connectedPair({ highWaterMark }, { highWaterMark })
        const count = 3000
        const offerAll = (connection: Connection) =>
          Effect.gen(function*() {
            let offered = 0
            for (let seq = 0; seq < count; seq++) {
              const frame = sequenced(seq, variedSize(seq))
              if (connection.unsafeOffer(frame)) offered++
              else yield* connection.send(frame)
            }
            return offered
          })
        const atServer = new PushRecorder()
        const atClient = new PushRecorder()
        yield* server.deliverTo(atServer.consumer)
        yield* client.deliverTo(atClient.consumer)
        const [fromClient, fromServer] = yield* within(
          Effect.all([offerAll(client), offerAll(server), atServer.awaitFrames(count), atClient.awaitFrames(count)], {
            concurrency: "unbounded"
          }),
          testTimeout,
          "exchanging frames"
        )
        expectSequence(atServer.frames, count)
        expectSequence(atClient.frames, count)
        // The first frame of each side goes on an idle connection, which unsafeOffer takes.
        expect(fromClient).toBeGreaterThan(0)
        expect(fromServer).toBeGreaterThan(0)
      }))

    test("push delivery pauses while onFrame says false; frames sent meanwhile come after resume, in order", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        const recorder = new PushRecorder((index) => (index === 9 || index === 149 ? "pause" : "take"))
        const delivery = yield* server.deliverTo(recorder.consumer)
        yield* Effect.sync(() => delivery.resume()) // not paused: nothing to do
        yield* sendRange(client, 0, 100)
        yield* within(recorder.awaitFrames(10), testTimeout, "frames up to the first pause")
        yield* settle(recorder.count)
        expect(recorder.frames.length).toBe(10)
        // Frames sent during the pause reach the receiver and wait there.
        yield* sendRange(client, 100, 200)
        yield* arrived(client)
        yield* settle(recorder.count)
        expect(recorder.frames.length).toBe(10)
        yield* Effect.sync(() => delivery.resume())
        yield* within(recorder.awaitFrames(150), testTimeout, "frames up to the second pause")
        yield* settle(recorder.count)
        expect(recorder.frames.length).toBe(150)
        yield* Effect.sync(() => {
          delivery.resume()
          delivery.resume()
        })
        yield* within(recorder.awaitFrames(200), testTimeout, "the rest")
        yield* settle(recorder.count)
        expectSequence(recorder.frames, 200)
        expect(recorder.ends).toEqual([])
      }))

    test("push: a resume called inside onFrame cancels the pause that call asks for", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        const frames: Array<Uint8Array> = []
        let delivery: FrameDelivery | undefined
        // Every 10th frame "pauses for work that finished at once": it resumes first, then answers false.
        const consumer: FrameConsumer = {
          onFrame: (frame) => {
            frames.push(frame.slice())
            if (frames.length % 10 !== 0) return true
            delivery!.resume()
            return false
          },
          onEnd: () => {}
        }
        delivery = yield* server.deliverTo(consumer)
        yield* sendRange(client, 0, 100)
        yield* arrived(client)
        yield* settle(Effect.sync(() => frames.length))
        // A lost pause-cancel would stop delivery at frame 10.
        expectSequence(frames, 100)
      }))

    test("push: a paused consumer applies back-pressure; resuming releases the writer and loses nothing", () =>
      Effect.gen(function*() {
        const highWaterMark = 64 * 1024
        const frameSize = 16 * 1024
        // Beyond the slack of a reader that does not read, a paused consumer may hold one batch the transport had
        // taken before the pause (at most what the sender's mark let through).
        const bound = harness.backPressureSlack + 2 * (highWaterMark + frameSize)
        const total = Math.ceil(bound / frameSize) + 32
        const { client, server } = yield* connectedPair({}, { highWaterMark })
        const recorder = new PushRecorder((index) => (index === 0 ? "pause" : "take"))
        const delivery = yield* server.deliverTo(recorder.consumer)
        const { sent, writer } = yield* writeUntilBlocked(client, total, frameSize)
        expect(sent).toBeLessThanOrEqual(bound)
        expect(recorder.frames.length).toBe(1)
        yield* Effect.sync(() => delivery.resume())
        yield* within(recorder.awaitFrames(total), testTimeout, "draining")
        yield* within(Fiber.join(writer), testTimeout, "writer finishing")
        expectSequence(recorder.frames, total, () => frameSize)
      }))

    test("push: onEnd comes once, after the last frame, with undefined on a clean close (both ends)", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        const atServer = new PushRecorder()
        const atClient = new PushRecorder()
        yield* server.deliverTo(atServer.consumer)
        yield* client.deliverTo(atClient.consumer)
        yield* sendRange(client, 0, 5)
        yield* client.close(4000, "bye")
        expect(yield* within(atServer.ended, testTimeout, "the remote end's onEnd")).toBeUndefined()
        expect(yield* within(atClient.ended, testTimeout, "the closing end's onEnd")).toBeUndefined()
        yield* settle(Effect.sync(() => atServer.ends.length + atClient.ends.length))
        expectSequence(atServer.frames, 5)
        expect(atServer.framesAtEnd).toBe(5)
        expect(atServer.ends).toEqual([undefined])
        expect(atClient.ends).toEqual([undefined])
        expect(atClient.frames.length).toBe(0)
        expect(atServer.lateFrames + atClient.lateFrames).toBe(0)
      }))

    test("push: a killed peer ends delivery once with ConnectionLost, after the frames that arrived", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        const recorder = new PushRecorder()
        yield* server.deliverTo(recorder.consumer)
        yield* sendRange(client, 0, 3)
        yield* within(recorder.awaitFrames(3), testTimeout, "frames before the kill")
        yield* harness.kill(client)
        const error = yield* within(recorder.ended, harness.deadPeerTimeout, "dead peer detection")
        expect(error?._tag).toBe("TransportError")
        expect(error?.reason).toBe("ConnectionLost")
        const info = yield* within(server.closed, testTimeout, "closed")
        expect(Option.getOrUndefined(info.error)).toEqual(error)
        yield* settle(Effect.sync(() => recorder.ends.length))
        expect(recorder.ends.length).toBe(1)
        expect(recorder.framesAtEnd).toBe(3)
        expectSequence(recorder.frames, 3)
        expect(recorder.lateFrames).toBe(0)
      }))

    test("push: a paused consumer gets the end only after resuming and taking the buffered frames", () =>
      Effect.gen(function*() {
        for (const ending of ["close", "kill"] as const) {
          const { client, server } = yield* connectedPair()
          const recorder = new PushRecorder((index) => (index === 0 ? "pause" : "take"))
          const delivery = yield* server.deliverTo(recorder.consumer)
          yield* sendRange(client, 0, 10)
          yield* arrived(client)
          yield* ending === "close" ? client.close() : harness.kill(client)
          yield* within(server.closed, testTimeout, `the remote end closed (${ending})`)
          yield* settle(Effect.sync(() => recorder.frames.length + recorder.ends.length))
          expect(recorder.frames.length).toBe(1)
          expect(recorder.ends).toEqual([])
          yield* Effect.sync(() => delivery.resume())
          const error = yield* within(recorder.ended, testTimeout, `onEnd after resume (${ending})`)
          if (ending === "close") expect(error).toBeUndefined()
          else expect(error?.reason).toBe("ConnectionLost")
          yield* settle(Effect.sync(() => recorder.ends.length))
          expect(recorder.ends.length).toBe(1)
          expect(recorder.framesAtEnd).toBe(10)
          expectSequence(recorder.frames, 10)
        }
      }))

    test("push: a throwing onFrame closes with 1011 and ConsumerFailed; the consumer gets nothing more", () =>
      Effect.gen(function*() {
        for (const receiving of ["acceptor", "dialer"] as const) {
          const { client, server } = yield* connectedPair()
          const [sender, receiver] = receiving === "acceptor" ? [client, server] : [server, client]
          const recorder = new PushRecorder((index) => (index === 2 ? "throw" : "take"))
          yield* receiver.deliverTo(recorder.consumer)
          // The later sends may meet the close already (WriteAfterClose); what matters is what the consumer sees.
          yield* sendRange(sender, 0, 5).pipe(Effect.ignore)
          const local = yield* within(receiver.closed, testTimeout, `the ${receiving} closing`)
          expectClose(local, { initiator: "local", code: 1011 })
          const error = Option.getOrThrowWith(local.error, () => new Error("no error in the local CloseInfo"))
          expect(error.reason).toBe("ConsumerFailed")
          expect(error.cause).toBe(recorder.failure)
          const remote = yield* within(sender.closed, testTimeout, "the sender seeing the close")
          expectClose(remote, { initiator: "remote", code: 1011 })
          expect(Option.isNone(remote.error)).toBe(true)
          yield* settle(Effect.sync(() => recorder.frames.length + recorder.ends.length))
          expect(recorder.frames.map(seqOf)).toEqual([0, 1, 2])
          expect(recorder.lateFrames).toBe(0)
          expect(recorder.ends).toEqual([])
        }
      }))

    test("unsafeOffer writes at once on an open connection, in order with send; after a close it says false", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        for (const [from, to] of [[client, server], [server, client]] as const) {
          expect(from.unsafeOffer(sequenced(0, 64))).toBe(true)
          yield* from.send(sequenced(1, 64))
          expect(from.unsafeOffer(sequenced(2, 64))).toBe(true)
          yield* from.send(sequenced(3, 64))
          expectSequence(yield* within(collect(to, 4), testTimeout, "offered and sent frames"), 4, () => 64)
        }
        yield* client.close()
        expect(client.unsafeOffer(sequenced(4, 16))).toBe(false)
        expectReason(yield* Effect.either(client.send(sequenced(4, 16))), "WriteAfterClose")
        yield* within(server.closed, testTimeout, "server closed")
        expect(server.unsafeOffer(sequenced(5, 16))).toBe(false)
        expectReason(yield* Effect.either(server.send(sequenced(5, 16))), "WriteAfterClose")
      }))

    test("unsafeOffer refuses a frame over the limit both ends share, and the connection stays usable", () =>
      Effect.gen(function*() {
        const limit = 1024
        const { client, server } = yield* connectedPair({ maxFrameSize: limit }, { maxFrameSize: limit })
        for (const [from, to] of [[client, server], [server, client]] as const) {
          expect(from.unsafeOffer(sequenced(1, limit + 1))).toBe(false)
          expect(from.unsafeOffer(sequenced(2, limit))).toBe(true)
          const [atLimit] = yield* within(collect(to, 1), testTimeout, "the frame at the limit")
          expect(atLimit!.length).toBe(limit)
          expect(isIntact(atLimit!, 2)).toBe(true)
        }
        // `send` of such a frame either fails at once (the connection stays open) or writes it and the receiver
        // refuses it (1009): unsafeOffer's false is right in both cases.
        const sent = yield* Effect.either(client.send(sequenced(3, limit + 1)))
        if (Either.isLeft(sent)) {
          expectReason(sent, "FrameTooLarge")
          yield* client.send(sequenced(4, 16))
          const [next] = yield* within(collect(server, 1), testTimeout, "a frame after the refused one")
          expect(seqOf(next!)).toBe(4)
        } else {
          yield* expectOversizeClosed(server)
        }
      }))

    test("unsafeOffer agrees with send on a frame over the sender's own limit only", () =>
      Effect.gen(function*() {
        const limit = 512
        const { client, server } = yield* connectedPair({}, { maxFrameSize: limit })
        const offered = client.unsafeOffer(sequenced(1, limit + 1))
        const sent = yield* Effect.either(client.send(sequenced(2, limit + 1)))
        // When send refuses the frame, unsafeOffer must not have written it.
        if (Either.isLeft(sent)) {
          expectReason(sent, "FrameTooLarge")
          expect(offered).toBe(false)
        }
        yield* client.send(sequenced(3, 16))
        const expected = [...(offered ? [1] : []), ...(Either.isRight(sent) ? [2] : []), 3]
        const frames = yield* within(collect(server, expected.length), testTimeout, "the frames written")
        expect(frames.map(seqOf)).toEqual(expected)
        for (const frame of frames) expect(isIntact(frame, seqOf(frame))).toBe(true)
      }))

    test("a frame over the remote's limit by unsafeOffer (or by send when it says no) closes with 1009", () =>
      Effect.gen(function*() {
        const limit = 1024
        const { client, server } = yield* connectedPair({ maxFrameSize: limit })
        const frame = sequenced(1, limit + 1)
        if (!client.unsafeOffer(frame)) yield* client.send(frame).pipe(Effect.ignore)
        yield* expectOversizeClosed(server, client)
      }))

    test("unsafeOffer says false under back-pressure (reader not reading) instead of buffering without bound", () =>
      Effect.gen(function*() {
        const highWaterMark = 64 * 1024
        const frameSize = 16 * 1024
        const bound = highWaterMark + harness.backPressureSlack + frameSize
        const attempts = Math.ceil(bound / frameSize) + 32
        // Refusals of the same frame, a short wait apart, after which the writer counts as stopped for good.
        const stopped = 50
        const wait = live ? Effect.sleep("2 millis") : TestClock.adjust("10 millis")
        const { client, server } = yield* connectedPair({}, { highWaterMark })
        let accepted = 0
        let refusals = 0
        let next = sequenced(0, frameSize)
        // A refusal may be passing (a batch not flushed yet): the transport gets time to move bytes on, and the same
        // frame is offered again, until the refusals last.
        for (let step = 0; step < 4 * attempts && accepted < attempts && refusals < stopped; step++) {
          if (client.unsafeOffer(next)) {
            accepted++
            refusals = 0
            next = sequenced(accepted, frameSize)
          } else {
            refusals++
            yield* wait
          }
        }
        expect(refusals).toBe(stopped)
        expect(accepted).toBeGreaterThan(0)
        expect(accepted * frameSize).toBeLessThanOrEqual(bound)
        // The caller falls back on send, which waits; reading releases it and nothing is lost.
        const writer = yield* Effect.fork(client.send(next))
        const frames = yield* within(collect(server, accepted + 1), testTimeout, "draining")
        expectSequence(frames, accepted + 1, () => frameSize)
        yield* within(Fiber.join(writer), testTimeout, "the fallback send")
        // Once drained, unsafeOffer writes again (a socket may report the drain a moment after the remote has read).
        const again = sequenced(accepted + 1, 16)
        let taken = false
        for (let poll = 0; poll < 200 && !taken; poll++) {
          taken = client.unsafeOffer(again)
          if (!taken) yield* tick
        }
        expect(taken).toBe(true)
        const [last] = yield* within(collect(server, 1), testTimeout, "the frame offered after the drain")
        expect(seqOf(last!)).toBe(accepted + 1)
      }))

    test("send copies each frame even in a burst the transport may batch (one buffer refilled between sends)", () =>
      Effect.gen(function*() {
        const { client, server } = yield* connectedPair()
        const burst = 5
        // Small frames may wait in a batch behind the first ones of a burst; large ones are written at once.
        const sizes = [16, 1024, 60 * 1024, 80 * 1024]
        for (const [from, to] of [[client, server], [server, client]] as const) {
          for (const size of sizes) {
            const buffer = new Uint8Array(size)
            // One after the other with no yield to the event loop in between: a single burst. Each frame must leave
            // with the bytes the buffer held when its `send` returned.
            const refillAndSend = (seq: number) => Effect.suspend(() => from.send(fillSequenced(buffer, seq)))
            yield* Effect.forEach(range(0, burst), refillAndSend, { discard: true })
            buffer.fill(0xee)
            const frames = yield* within(collect(to, burst), testTimeout, `a burst of ${size}-byte frames`)
            expectSequence(frames, burst, () => size)
          }
        }
      }))

    if (harness.tls) {
      test("certificate identities are seen correctly on both ends", () =>
        Effect.gen(function*() {
          const c = yield* suiteCertificates
          const seen = yield* Ref.make(Option.none<Uint8Array>())
          const gate = (request: InboundRequest) =>
            Effect.as(Ref.set(seen, request.peerCertificate), { _tag: "Accept" } as const)
          const { client, server } = yield* connectedPair({ gate })
          const clientDer = yield* Certificates.certificateDer(c.client.certificatePem)
          const serverDer = yield* Certificates.certificateDer(c.server.certificatePem)
          expect(Option.getOrThrow(server.peerCertificate)).toEqual(clientDer)
          expect(Option.getOrThrow(server.peerId)).toEqual(Certificates.nodeId(clientDer))
          expect(Option.getOrThrow(client.peerCertificate)).toEqual(serverDer)
          expect(Option.getOrThrow(client.peerId)).toEqual(Certificates.nodeId(serverDer))
          expect(Option.getOrThrow(yield* Ref.get(seen))).toEqual(clientDer)
        }))

      test("a client certificate from the wrong CA is refused when the listener requires its CA", () =>
        Effect.gen(function*() {
          const c = yield* suiteCertificates
          const transport = yield* Transport
          const gateCalls = yield* Ref.make(0)
          const gate = () => Effect.as(Ref.update(gateCalls, (n) => n + 1), { _tag: "Accept" } as const)
          const listener = yield* transport.listen(yield* listenOptions({ gate }))
          const foreign = yield* Effect.either(
            transport.dial(listener.address, { tls: tlsFor(c.foreignClient, c.ca) })
          )
          expectReason(foreign, "TlsFailure")
          expect(yield* Ref.get(gateCalls)).toBe(0)
          // The listener keeps working for good clients.
          yield* transport.dial(listener.address, yield* dialOptions())
          const server = yield* nextConnection(listener)
          expect(Option.isSome(server.peerCertificate)).toBe(true)
        }))

      test("a server certificate from the wrong CA is refused when the dialer requires its CA", () =>
        Effect.gen(function*() {
          const c = yield* suiteCertificates
          const transport = yield* Transport
          const listener = yield* transport.listen(yield* listenOptions({ tls: tlsFor(c.foreignServer, c.ca) }))
          expectReason(yield* Effect.either(transport.dial(listener.address, yield* dialOptions())), "TlsFailure")
        }))

      test("AcceptAny accepts a certificate from any CA and records it", () =>
        Effect.gen(function*() {
          const c = yield* suiteCertificates
          const transport = yield* Transport
          const listener = yield* transport.listen(
            yield* listenOptions({ tls: { identity: c.server, verify: { _tag: "AcceptAny" } } })
          )
          yield* transport.dial(listener.address, { tls: tlsFor(c.foreignClient, c.ca) })
          const server = yield* nextConnection(listener)
          const foreignDer = yield* Certificates.certificateDer(c.foreignClient.certificatePem)
          expect(Option.getOrThrow(server.peerCertificate)).toEqual(foreignDer)
          expect(Option.getOrThrow(server.peerId)).toEqual(Certificates.nodeId(foreignDer))
        }))
    }
  })
}
