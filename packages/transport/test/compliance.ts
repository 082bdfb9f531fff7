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
 */
import { assert, describe, expect, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Chunk, Duration, Effect, Either, Fiber, Layer, Option, Ref, Stream, TestClock, TestServices } from "effect"
import * as Certificates from "../src/Certificates.js"
import type {
  CloseInfo,
  Connection,
  DialOptions,
  GateVerdict,
  InboundRequest,
  Listener,
  ListenOptions,
  TlsIdentity,
  TransportError,
  TransportErrorReason
} from "../src/Transport.js"
import { Transport } from "../src/Transport.js"

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

const sequenced = (seq: number, size: number): Uint8Array => {
  const frame = new Uint8Array(Math.max(4, size))
  new DataView(frame.buffer).setUint32(0, seq)
  for (let i = 4; i < frame.length; i++) frame[i] = (seq + i) & 0xff
  return frame
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
        const sentBytes = yield* Ref.make(0)
        const writer = yield* Effect.fork(
          Effect.forEach(Array.from({ length: total }, (_, seq) => seq), (seq) =>
            Effect.zipRight(client.send(sequenced(seq, frameSize)), Ref.update(sentBytes, (n) => n + frameSize)), {
            discard: true
          })
        )
        yield* settle(Ref.get(sentBytes))
        const sent = yield* Ref.get(sentBytes)
        expect(Option.isNone(yield* Fiber.poll(writer))).toBe(true)
        expect(sent).toBeGreaterThan(0)
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
        const receiver = yield* within(server.closed, testTimeout, "receiver closed")
        expectClose(receiver, { initiator: "local", code: 1009 })
        expect(Option.map(receiver.error, (e) => e.reason)).toEqual(Option.some("FrameTooLarge"))
        expectClose(yield* within(client.closed, testTimeout, "sender closed"), { initiator: "remote", code: 1009 })
      }))

    test("the dialer's maxFrameSize limits what it accepts", () =>
      Effect.gen(function*() {
        const limit = 512
        const { client, server } = yield* connectedPair({}, { maxFrameSize: limit })
        yield* server.send(sequenced(1, limit))
        const [atLimit] = yield* within(collect(client, 1), testTimeout, "frame at the limit")
        expect(atLimit!.length).toBe(limit)
        yield* server.send(sequenced(2, limit + 1)).pipe(Effect.ignore)
        const receiver = yield* within(client.closed, testTimeout, "receiver closed")
        expectClose(receiver, { initiator: "local", code: 1009 })
        expect(Option.map(receiver.error, (e) => e.reason)).toEqual(Option.some("FrameTooLarge"))
        expectClose(yield* within(server.closed, testTimeout, "sender closed"), { initiator: "remote", code: 1009 })
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
