import { assert, describe, expect, it } from "@effect/vitest"
import {
  Chunk,
  Clock,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  Option,
  Ref,
  Scope,
  Stream,
  TestClock
} from "effect"
import * as Certificates from "../src/Certificates.js"
import * as MemoryTransport from "../src/MemoryTransport.js"
import type { Connection, GateVerdict, InboundRequest, Listener, TransportErrorReason } from "../src/Transport.js"
import { Transport } from "../src/Transport.js"

const SERVER = "10.0.0.1"
const CLIENT = "10.0.0.2"
const OTHER = "10.0.0.3"
const PORT = 8444

const frame = (...bytes: Array<number>) => new Uint8Array(bytes)

const reasonOf = <A>(result: Either.Either<A, { readonly reason: TransportErrorReason }>) =>
  Either.isLeft(result) ? result.left.reason : "succeeded"

const accept = (listener: Listener) =>
  Effect.map(Stream.runHead(listener.connections), Option.getOrThrowWith(() => new Error("listener ended")))

/** A network with a server node listening on SERVER:PORT and a client node at CLIENT. */
const setup = (options: { readonly seed?: number } = {}) =>
  Effect.gen(function*() {
    const network = yield* MemoryTransport.makeNetwork(options)
    const server = MemoryTransport.make(network, { host: SERVER })
    const client = MemoryTransport.make(network, { host: CLIENT })
    const listener = yield* server.listen({ host: "0.0.0.0", port: PORT })
    return { network, server, client, listener }
  })

/** Setup plus one connection (dial and accept run with the clock advanced by `rtt`). */
const connected = (options: { readonly seed?: number; readonly rtt?: Duration.DurationInput } = {}) =>
  Effect.gen(function*() {
    const nodes = yield* setup(options)
    const dialing = yield* Effect.fork(nodes.client.dial({ host: SERVER, port: PORT }))
    yield* TestClock.adjust(options.rtt ?? 0)
    const client = yield* Fiber.join(dialing)
    const server = yield* accept(nodes.listener)
    return { ...nodes, client, server }
  })

/** Collects frames as they arrive, with the Clock time of each arrival. */
const record = (connection: Connection) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<ReadonlyArray<{ readonly bytes: ReadonlyArray<number>; readonly at: number }>>([])
    const fiber = yield* Effect.fork(Stream.runForEach(connection.frames, (f) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        Ref.update(seen, (all) => [...all, { bytes: Array.from(f), at }]))))
    return { seen: Ref.get(seen), fiber }
  })

describe("MemoryTransport", () => {
  it.scoped("gives every node its own host; the gate sees the dialer's address", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const requests = yield* Ref.make<ReadonlyArray<InboundRequest>>([])
      const gate = (request: InboundRequest) =>
        Effect.as(Ref.update(requests, (all) => [...all, request]), { _tag: "Accept" } as GateVerdict)
      const listener = yield* network.transport({ host: SERVER }).listen({ host: "0.0.0.0", port: PORT, gate })
      expect(listener.address).toEqual({ host: SERVER, port: PORT })
      const client = yield* network.transport({ host: CLIENT }).dial({ host: SERVER, port: PORT })
      const server = yield* accept(listener)
      expect(client.local.host).toBe(CLIENT)
      expect(client.remote).toEqual({ host: SERVER, port: PORT })
      expect(server.remote).toEqual(client.local)
      expect((yield* Ref.get(requests)).map((r) => r.remote)).toEqual([client.local])
      expect(yield* network.listeners).toEqual([{ host: SERVER, port: PORT }])
      expect((yield* network.connections).map((l) => [l.dialer.id, l.acceptor.id])).toEqual([[client.id, server.id]])
    }))

  it.scoped("listen: another host's address fails, a taken port is AddressInUse, port 0 picks a free one", () =>
    Effect.gen(function*() {
      const { server } = yield* setup()
      expect(reasonOf(yield* Effect.either(server.listen({ host: CLIENT, port: 1 })))).toBe("ListenFailed")
      expect(reasonOf(yield* Effect.either(server.listen({ host: SERVER, port: PORT })))).toBe("AddressInUse")
      const a = yield* server.listen({ host: SERVER, port: 0 })
      const b = yield* server.listen({ host: SERVER, port: 0 })
      expect(a.address.port).toBeGreaterThanOrEqual(MemoryTransport.EPHEMERAL_PORT_FIRST)
      expect(b.address.port).not.toBe(a.address.port)
    }))

  it.scoped("rejects bad limits and bad faults with InvalidOptions", () =>
    Effect.gen(function*() {
      const { network, client } = yield* setup()
      const to = { host: SERVER, port: PORT }
      expect(reasonOf(yield* Effect.either(client.dial(to, { maxFrameSize: -1 })))).toBe("InvalidOptions")
      expect(reasonOf(yield* Effect.either(client.dial(to, { highWaterMark: 0 })))).toBe("InvalidOptions")
      expect(reasonOf(yield* Effect.either(network.setFaults({ bandwidth: -1 })))).toBe("InvalidOptions")
      expect(reasonOf(yield* Effect.either(network.setFaults({ dropAfterFrames: 1.5 })))).toBe("InvalidOptions")
      expect(reasonOf(yield* Effect.either(network.setLinkFaults(SERVER, CLIENT, { latency: "soon" as never }))))
        .toBe("InvalidOptions")
    }))

  it.scoped("latency delays dials and frames; ping measures the simulated round trip", () =>
    Effect.gen(function*() {
      const { network, client, listener } = yield* setup()
      yield* network.setLinkFaults(SERVER, CLIENT, { latency: "50 millis" })
      const dialing = yield* Effect.fork(client.dial({ host: SERVER, port: PORT }))
      yield* TestClock.adjust("99 millis")
      expect(Option.isNone(yield* Fiber.poll(dialing))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const connection = yield* Fiber.join(dialing)
      const server = yield* accept(listener)
      const inbox = yield* record(server)
      yield* connection.send(frame(1))
      yield* TestClock.adjust("49 millis")
      expect(yield* inbox.seen).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(yield* inbox.seen).toEqual([{ bytes: [1], at: 150 }])
      const ping = yield* Effect.fork(connection.ping())
      yield* TestClock.adjust("100 millis")
      expect(Duration.toMillis(yield* Fiber.join(ping))).toBe(100)
    }))

  it.scoped("jitter comes from the network's seed: same seed, same delays", () =>
    Effect.gen(function*() {
      // One frame every 100 ms, so each delay is latency + its own jitter draw.
      const delays = (seed: number) =>
        Effect.scoped(Effect.gen(function*() {
          const { client, network, server } = yield* connected({ seed })
          yield* network.setFaults({ latency: "10 millis", jitter: "30 millis" })
          const inbox = yield* record(server)
          const sentAt: Array<number> = []
          for (let i = 0; i < 20; i++) {
            sentAt.push(yield* Clock.currentTimeMillis)
            yield* client.send(frame(i))
            yield* TestClock.adjust("100 millis")
          }
          const seen = yield* inbox.seen
          expect(seen.map((s) => s.bytes[0])).toEqual(Array.from({ length: 20 }, (_, i) => i))
          return seen.map((s, i) => s.at - sentAt[i]!)
        }))
      const first = yield* delays(7)
      expect(yield* delays(7)).toEqual(first)
      expect(yield* delays(8)).not.toEqual(first)
      for (const delay of first) {
        expect(delay).toBeGreaterThanOrEqual(10)
        expect(delay).toBeLessThanOrEqual(40)
      }
      expect(new Set(first).size).toBeGreaterThan(5)
    }))

  it.scoped("jitter never reorders frames", () =>
    Effect.gen(function*() {
      const { client, network, server } = yield* connected({ seed: 3 })
      yield* network.setFaults({ latency: "5 millis", jitter: "50 millis" })
      const inbox = yield* record(server)
      for (let i = 0; i < 200; i++) {
        yield* client.send(frame(i))
        if (i % 10 === 0) yield* TestClock.adjust("3 millis")
      }
      yield* TestClock.adjust("1 second")
      const seen = yield* inbox.seen
      expect(seen.map((s) => s.bytes[0])).toEqual(Array.from({ length: 200 }, (_, i) => i))
      seen.forEach((s, i) => i > 0 && expect(s.at).toBeGreaterThanOrEqual(seen[i - 1]!.at))
    }))

  it.scoped("a bandwidth cap delays each frame by its size", () =>
    Effect.gen(function*() {
      const { client, network, server } = yield* connected()
      yield* network.setLinkFaults(SERVER, CLIENT, { bandwidth: 1000 })
      const inbox = yield* record(server)
      yield* client.send(new Uint8Array(500))
      yield* client.send(new Uint8Array(250))
      yield* TestClock.adjust("2 seconds")
      expect((yield* inbox.seen).map((s) => s.at)).toEqual([500, 750])
    }))

  it.scoped("dropAfterFrames: the connection dies abruptly after the N-th frame", () =>
    Effect.gen(function*() {
      const { client, network, server } = yield* connected()
      yield* network.setLinkFaults(`${SERVER}:${PORT}`, CLIENT, { dropAfterFrames: 3 })
      yield* client.send(frame(1))
      yield* server.send(frame(2))
      yield* client.send(frame(3))
      const received = yield* Effect.either(Stream.runCollect(server.frames))
      expect(reasonOf(received)).toBe("ConnectionLost")
      const clientSide = yield* Effect.either(Stream.runCollect(client.frames))
      expect(reasonOf(clientSide)).toBe("ConnectionLost")
      for (const connection of [client, server]) {
        const info = yield* connection.closed
        expect(info.code).toBe(MemoryTransport.CLOSE_ABNORMAL)
        expect(Option.map(info.error, (e) => e.reason)).toEqual(Option.some("ConnectionLost"))
      }
      expect(reasonOf(yield* Effect.either(client.send(frame(4))))).toBe("WriteAfterClose")
    }))

  it.scoped("dropAfterFrames delivers the frames sent before the cut", () =>
    Effect.gen(function*() {
      const { client, network, server } = yield* connected()
      yield* network.setFaults({ dropAfterFrames: 2 })
      const inbox = yield* record(server)
      yield* client.send(frame(1))
      yield* client.send(frame(2))
      expect(reasonOf(yield* Effect.either(client.send(frame(3))))).toBe("WriteAfterClose")
      yield* TestClock.adjust(0)
      expect((yield* inbox.seen).map((s) => s.bytes)).toEqual([[1], [2]])
      expect(reasonOf(yield* Effect.either(Fiber.join(inbox.fiber)))).toBe("ConnectionLost")
    }))

  it.scoped("sever kills connections mid-stream: frames still in flight are lost", () =>
    Effect.gen(function*() {
      const { client, network, server } = yield* connected()
      yield* network.setLinkFaults(SERVER, CLIENT, { latency: "100 millis" })
      const inbox = yield* record(server)
      yield* client.send(frame(1))
      yield* TestClock.adjust("100 millis")
      yield* client.send(frame(2))
      yield* TestClock.adjust("50 millis")
      expect(yield* network.sever(CLIENT)).toBe(1)
      yield* TestClock.adjust("1 second")
      expect((yield* inbox.seen).map((s) => s.bytes)).toEqual([[1]])
      expect(reasonOf(yield* Effect.either(Fiber.join(inbox.fiber)))).toBe("ConnectionLost")
      expect((yield* client.closed).code).toBe(1006)
      expect(yield* network.connections).toEqual([])
      expect(yield* network.severConnection(client.id)).toBe(false)
    }))

  it.scoped("refuse makes dials fail with DialRefused until unrefuse", () =>
    Effect.gen(function*() {
      const { client, network, listener } = yield* setup()
      yield* network.refuse(`${SERVER}:${PORT}`)
      expect(reasonOf(yield* Effect.either(client.dial(listener.address)))).toBe("DialRefused")
      yield* network.unrefuse(`${SERVER}:${PORT}`)
      const connection = yield* client.dial(listener.address)
      expect(connection.remote).toEqual(listener.address)
    }))

  it.scoped("partition cuts connections across the groups, dials across time out, heal restores", () =>
    Effect.gen(function*() {
      const { client, network, listener, server } = yield* setup()
      const other = network.transport({ host: OTHER })
      const across = yield* client.dial(listener.address)
      const acrossServer = yield* accept(listener)
      const inside = yield* other.dial(listener.address)
      const insideServer = yield* accept(listener)
      expect(yield* network.partition([SERVER, OTHER], [CLIENT])).toBe(1)
      for (const end of [across, acrossServer]) expect((yield* end.closed).code).toBe(1006)
      yield* inside.send(frame(9))
      const [got] = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(insideServer.frames, 1)))
      expect(Array.from(got!)).toEqual([9])
      const dialing = yield* Effect.fork(Effect.either(client.dial(listener.address, { openTimeout: "2 seconds" })))
      yield* TestClock.adjust("2 seconds")
      expect(reasonOf(yield* Fiber.join(dialing))).toBe("Timeout")
      yield* network.heal()
      const again = yield* client.dial(listener.address)
      expect(again.remote).toEqual(listener.address)
      expect(server).toBeDefined()
    }))

  it.scoped("blackhole: frames and pings vanish silently until it is lifted", () =>
    Effect.gen(function*() {
      const { client, network, server } = yield* connected()
      const inbox = yield* record(server)
      yield* network.setLinkFaults(SERVER, CLIENT, { blackhole: true })
      for (let i = 0; i < 5; i++) yield* client.send(frame(i))
      const ping = yield* Effect.fork(Effect.either(client.ping("1 second")))
      yield* TestClock.adjust("1 second")
      expect(reasonOf(yield* Fiber.join(ping))).toBe("Timeout")
      expect(yield* inbox.seen).toEqual([])
      yield* network.setLinkFaults(SERVER, CLIENT, { blackhole: false })
      yield* client.send(frame(42))
      yield* TestClock.adjust(0)
      expect((yield* inbox.seen).map((s) => s.bytes)).toEqual([[42]])
    }))

  it.scoped("a close on a blackholed link never reaches the remote (it stays open)", () =>
    Effect.gen(function*() {
      const { client, network, server } = yield* connected()
      yield* network.setFaults({ blackhole: true })
      yield* client.close(1000, "bye")
      yield* TestClock.adjust("1 minute")
      expect(Option.isNone(yield* Effect.fork(server.closed).pipe(Effect.flatMap(Fiber.poll)))).toBe(true)
      expect((yield* client.closed).initiator).toBe("local")
    }))

  it.scoped("with latency the closing end is closed at once and the remote when the close frame arrives", () =>
    Effect.gen(function*() {
      const { client, network, server } = yield* connected()
      yield* network.setFaults({ latency: "30 millis" })
      const remoteClosed = yield* Effect.fork(server.closed)
      yield* client.close(4002, "later")
      expect((yield* client.closed).code).toBe(4002)
      yield* TestClock.adjust("29 millis")
      expect(Option.isNone(yield* Fiber.poll(remoteClosed))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const info = yield* Fiber.join(remoteClosed)
      expect([info.initiator, info.code, info.reason]).toEqual(["remote", 4002, "later"])
    }))

  it.scoped("an oversized frame behind others under latency: the others arrive, then 1009", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const listener = yield* network.transport({ host: SERVER }).listen({ host: SERVER, port: PORT, maxFrameSize: 4 })
      const client = yield* network.transport({ host: CLIENT }).dial(listener.address)
      const server = yield* accept(listener)
      yield* network.setFaults({ latency: "10 millis" })
      const inbox = yield* record(server)
      yield* client.send(frame(1))
      yield* client.send(new Uint8Array(5))
      yield* client.send(frame(3))
      yield* TestClock.adjust("10 millis")
      expect((yield* inbox.seen).map((s) => s.bytes)).toEqual([[1]])
      expect(reasonOf(yield* Effect.either(Fiber.join(inbox.fiber)))).toBe("FrameTooLarge")
      yield* TestClock.adjust("10 millis")
      const info = yield* client.closed
      expect([info.initiator, info.code]).toEqual(["remote", MemoryTransport.CLOSE_TOO_BIG])
    }))

  it.scoped("back-pressure: bytes in flight stay at most the high-water mark plus one frame", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const listener = yield* network.transport({ host: SERVER }).listen({ host: SERVER, port: PORT })
      const client = yield* network.transport({ host: CLIENT }).dial(listener.address, { highWaterMark: 1000 })
      const server = yield* accept(listener)
      const writer = yield* Effect.fork(Effect.forEach(Array.from({ length: 50 }, (_, i) => i), (i) =>
        client.send(new Uint8Array(300).fill(i)), { discard: true }))
      yield* TestClock.adjust("1 second")
      const [link] = yield* network.connections
      expect(link!.inFlight.toAcceptor).toBe(1200)
      expect(Option.isNone(yield* Fiber.poll(writer))).toBe(true)
      const frames = yield* Stream.runCollect(Stream.take(server.frames, 50))
      expect(Chunk.toReadonlyArray(frames).map((f) => f[0])).toEqual(Array.from({ length: 50 }, (_, i) => i))
      yield* Fiber.join(writer)
      expect((yield* network.connections)[0]!.inFlight.toAcceptor).toBe(0)
    }))

  it.scoped("a writer waiting on back-pressure fails with WriteAfterClose when the connection closes", () =>
    Effect.gen(function*() {
      const { client, server } = yield* connected()
      const writer = yield* Effect.fork(Effect.either(Effect.forEach(Array.from({ length: 10 }, () => 0), () =>
        client.send(new Uint8Array(4 * 1024 * 1024)), { discard: true })))
      yield* TestClock.adjust(0)
      expect(Option.isNone(yield* Fiber.poll(writer))).toBe(true)
      yield* server.close()
      expect(reasonOf(yield* Fiber.join(writer))).toBe("WriteAfterClose")
    }))

  it.scoped("closing a listener closes its connections with 1001 and refuses new dials", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const client = network.transport({ host: CLIENT })
      const listenerScope = yield* Scope.make()
      const listener = yield* network.transport({ host: SERVER }).listen({ host: SERVER, port: 0 }).pipe(
        Scope.extend(listenerScope)
      )
      const connection = yield* client.dial(listener.address)
      yield* Scope.close(listenerScope, Exit.void)
      const info = yield* connection.closed
      expect([info.initiator, info.code]).toEqual(["remote", MemoryTransport.CLOSE_GOING_AWAY])
      expect(reasonOf(yield* Effect.either(client.dial(listener.address)))).toBe("DialRefused")
      expect(yield* network.listeners).toEqual([])
      expect(yield* network.connections).toEqual([])
    }))

  it.scoped("ping fails once the connection is closed", () =>
    Effect.gen(function*() {
      const { client } = yield* connected()
      yield* client.close()
      expect(reasonOf(yield* Effect.either(client.ping()))).toBe("WriteAfterClose")
    }))

  it.scoped("TLS: mismatched security fails with TlsFailure, a bad identity with InvalidOptions", () =>
    Effect.gen(function*() {
      const ca = yield* Certificates.generateCa()
      const node = yield* Certificates.generateNodeCertificate(ca)
      const tls = { identity: node, verify: { _tag: "RequireCa" as const, caPem: [ca.certificatePem] } }
      const network = yield* MemoryTransport.makeNetwork()
      const server = network.transport({ host: SERVER })
      const client = network.transport({ host: CLIENT })
      const secure = yield* server.listen({ host: SERVER, port: 1, tls })
      const plain = yield* server.listen({ host: SERVER, port: 2 })
      expect(reasonOf(yield* Effect.either(client.dial(secure.address)))).toBe("TlsFailure")
      expect(reasonOf(yield* Effect.either(client.dial(plain.address, { tls })))).toBe("TlsFailure")
      const wrongKey = { ...tls, identity: { ...node, privateKeyPem: ca.privateKeyPem } }
      expect(reasonOf(yield* Effect.either(client.dial(secure.address, { tls: wrongKey })))).toBe("InvalidOptions")
      const noCa = { ...tls, verify: { _tag: "RequireCa" as const, caPem: [] } }
      expect(reasonOf(yield* Effect.either(server.listen({ host: SERVER, port: 3, tls: noCa })))).toBe("InvalidOptions")
      const connection = yield* client.dial(secure.address, { tls })
      expect(Option.isSome(connection.peerId)).toBe(true)
    }))

  it.scoped("layers: nodes built from MemoryTransport.layer share one network", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const serve = Effect.gen(function*() {
        const listener = yield* (yield* Transport).listen({ host: "::", port: PORT })
        yield* Effect.forkScoped(Stream.runForEach(listener.connections, (c) =>
          Effect.forkScoped(Stream.runForEach(c.frames, (f) => c.send(f)).pipe(Effect.ignore))))
      })
      const ask = Effect.gen(function*() {
        const connection = yield* (yield* Transport).dial({ host: SERVER, port: PORT })
        yield* connection.send(frame(5, 6))
        return Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(connection.frames, 1)))
      })
      yield* Effect.provide(serve, MemoryTransport.layer(network, { host: SERVER }))
      const [echo] = yield* Effect.provide(ask, MemoryTransport.layer(network, { host: CLIENT }))
      expect(Array.from(echo!)).toEqual([5, 6])
    }))

  it.scoped("layerWithNetwork gives a Transport and its MemoryNetwork", () =>
    Effect.gen(function*() {
      const transport = yield* Transport
      const network = yield* MemoryTransport.MemoryNetwork
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 })
      yield* transport.dial(listener.address)
      expect((yield* network.connections).length).toBe(1)
      assert.strictEqual(listener.address.host, MemoryTransport.DEFAULT_HOST)
    }).pipe(Effect.provide(Layer.fresh(MemoryTransport.layerWithNetwork()))))
})
