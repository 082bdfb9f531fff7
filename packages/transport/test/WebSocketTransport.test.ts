import { assert, describe, expect, it } from "@effect/vitest"
import * as Certificates from "@peerwire/transport/Certificates"
import type { Connection, DialOptions, ListenOptions, TlsIdentity, TlsSettings, TransportError } from "@peerwire/transport/Transport"
import * as WebSocketTransport from "@peerwire/transport/WebSocketTransport"
import { Chunk, Deferred, Duration, Effect, Exit, Fiber, Option, Ref, Scope, Stream } from "effect"
import * as https from "node:https"
import * as http from "node:http"
import * as net from "node:net"
import { beforeAll } from "vitest"
import WebSocket, { WebSocketServer } from "ws"
import type { WebSocketConnection } from "../src/internal/websocketConnection.js"

const transport = WebSocketTransport.make()
const LOOPBACK = "127.0.0.1"

interface Identities {
  readonly ca: TlsIdentity
  readonly server: TlsIdentity
  readonly client: TlsIdentity
  /** Signed by a CA nobody here trusts. */
  readonly foreign: TlsIdentity
}

let ids: Identities

beforeAll(async () => {
  ids = await Effect.runPromise(Effect.gen(function*() {
    const ca = yield* Certificates.generateCa()
    const otherCa = yield* Certificates.generateCa()
    const [server, client, foreign] = yield* Effect.all([
      Certificates.generateNodeCertificate(ca),
      Certificates.generateNodeCertificate(ca),
      Certificates.generateNodeCertificate(otherCa)
    ], { concurrency: 3 })
    return { ca, server, client, foreign }
  }))
}, 60_000)

const requireCa = (identity: TlsIdentity): TlsSettings => ({ identity, verify: { _tag: "RequireCa", caPem: [ids.ca.certificatePem] } })
const acceptAny = (identity: TlsIdentity): TlsSettings => ({ identity, verify: { _tag: "AcceptAny" } })

type Mode = "ws" | "wss"
const serverTls = (mode: Mode) => (mode === "wss" ? requireCa(ids.server) : undefined)
const clientTls = (mode: Mode) => (mode === "wss" ? requireCa(ids.client) : undefined)

const firstConnection = (connections: Stream.Stream<Connection>) =>
  Stream.runHead(connections).pipe(Effect.flatMap(Effect.orDie), Effect.timeout("5 seconds"), Effect.orDie)

/** A listener and one dialed connection with both of its ends. */
const pair = (mode: Mode, listen: Partial<ListenOptions> = {}, dial: Partial<DialOptions> = {}) =>
  Effect.gen(function*() {
    const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: serverTls(mode), ...listen })
    const client = yield* transport.dial(listener.address, { tls: clientTls(mode), ...dial })
    const server = yield* firstConnection(listener.connections)
    return { listener, client, server }
  })

const bytes = (...values: Array<number>) => new Uint8Array(values)
const filled = (size: number, seed: number) => {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff
  return out
}
const indexFrame = (i: number, size: number) => {
  const out = new Uint8Array(size)
  new DataView(out.buffer).setUint32(0, i)
  return out
}
const indexOf = (frame: Uint8Array) => new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0)

const failure = <A>(exit: Exit.Exit<A, TransportError>): TransportError => {
  assert(Exit.isFailure(exit), "expected a failure")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  assert(error !== undefined, `expected a typed failure, got ${String(exit.cause)}`)
  return error
}

const within = <A, E, R>(self: Effect.Effect<A, E, R>, duration: Duration.DurationInput = "5 seconds") =>
  self.pipe(Effect.timeoutFail({ duration, onTimeout: () => new Error(`did not finish within ${String(duration)}`) }), Effect.orDie)

/** Raw `ws` options presenting `identity`, for the tests that need a misbehaving or certificate-less peer. */
const rawClientTls = (identity: TlsIdentity | undefined) =>
  identity === undefined
    ? { rejectUnauthorized: false }
    : { cert: identity.certificatePem, key: identity.privateKeyPem, rejectUnauthorized: false }

/** Opens a raw `ws` client to `url`; resolves once open. */
const rawDial = (url: string, options: WebSocket.ClientOptions = {}) =>
  Effect.acquireRelease(
    Effect.async<WebSocket, Error>((resume) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...options })
      ws.once("open", () => resume(Effect.succeed(ws)))
      ws.once("error", (error) => resume(Effect.fail(error)))
    }),
    (ws) => Effect.sync(() => ws.terminate())
  )

/** A raw `ws` server (TLS when `identity` is given) that hands its first connection over. */
const rawServer = (identity: TlsIdentity | undefined) =>
  Effect.gen(function*() {
    const server = identity === undefined
      ? http.createServer()
      : https.createServer({ cert: identity.certificatePem, key: identity.privateKeyPem, requestCert: true, rejectUnauthorized: false })
    const wss = new WebSocketServer({ server, perMessageDeflate: false })
    const first = yield* Deferred.make<WebSocket>()
    wss.once("connection", (ws) => Deferred.unsafeDone(first, Effect.succeed(ws)))
    const connected = Deferred.await(first)
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => {
        server.listen(0, LOOPBACK, () => resume(Effect.void))
      }),
      () =>
        Effect.async<void>((resume) => {
          for (const client of wss.clients) client.terminate()
          wss.close()
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const port = (server.address() as net.AddressInfo).port
    return { port, connected }
  })

for (const mode of ["ws", "wss"] as const) {
  describe(`WebSocketTransport (${mode})`, () => {
    it.scopedLive("round trip, both directions, frames are private copies", () =>
      Effect.gen(function*() {
        const { client, server } = yield* pair(mode)
        yield* client.send(bytes(1, 2, 3))
        yield* server.send(bytes(4, 5))
        yield* client.send(new Uint8Array(0))
        const atServer = yield* within(Stream.runCollect(Stream.take(server.frames, 2)))
        const atClient = yield* within(Stream.runCollect(Stream.take(client.frames, 1)))
        expect(Chunk.toReadonlyArray(atServer)).toEqual([bytes(1, 2, 3), bytes()])
        expect(Chunk.toReadonlyArray(atClient)).toEqual([bytes(4, 5)])
        const frame = Chunk.unsafeGet(atServer, 0)
        // A copy, not a view into the socket's read chunk: what a kept frame pins is at most one Buffer-pool slab.
        expect(frame.buffer.byteLength).toBeLessThanOrEqual(Buffer.poolSize)
        expect(client.direction).toBe("outbound")
        expect(server.direction).toBe("inbound")
        expect(server.remote.port).toBe(client.local.port)
        expect(client.id).not.toBe(server.id)
      }))

    it.scopedLive("10k frames arrive in order", () =>
      Effect.gen(function*() {
        const { client, server } = yield* pair(mode)
        const count = 10_000
        const sender = yield* Effect.fork(Effect.forEach(
          Array.from({ length: count }, (_, i) => i),
          (i) => client.send(indexFrame(i, 4 + (i % 300))),
          { discard: true }
        ))
        const received = yield* within(Stream.runCollect(Stream.take(server.frames, count)), "20 seconds")
        yield* Fiber.join(sender)
        const order = Chunk.toReadonlyArray(received).map(indexOf)
        expect(order).toEqual(Array.from({ length: count }, (_, i) => i))
        expect(Chunk.toReadonlyArray(received).map((f) => f.byteLength)).toEqual(order.map((i) => 4 + (i % 300)))
      }))

    it.scopedLive("close code and reason, dialer first", () =>
      Effect.gen(function*() {
        const { client, server } = yield* pair(mode)
        const drained = yield* Effect.fork(Stream.runCollect(server.frames))
        yield* client.send(bytes(9))
        yield* within(client.close(4001, "bye for now"))
        const local = yield* client.closed
        const remote = yield* within(server.closed)
        expect(local).toEqual({ initiator: "local", code: 4001, reason: "bye for now", error: Option.none() })
        expect(remote).toEqual({ initiator: "remote", code: 4001, reason: "bye for now", error: Option.none() })
        // The remote's stream ends cleanly after delivering what was sent before the close.
        expect(Chunk.toReadonlyArray(yield* within(Fiber.join(drained)))).toEqual([bytes(9)])
        // Closing again is a no-op.
        yield* within(client.close(1000, "again"))
        expect(yield* client.closed).toEqual(local)
      }))

    it.scopedLive("close code and reason, listener side first", () =>
      Effect.gen(function*() {
        const { client, server } = yield* pair(mode)
        yield* within(server.close(4002, "going"))
        expect(yield* server.closed).toEqual({ initiator: "local", code: 4002, reason: "going", error: Option.none() })
        expect(yield* within(client.closed)).toEqual({ initiator: "remote", code: 4002, reason: "going", error: Option.none() })
        expect(Chunk.size(yield* within(Stream.runCollect(client.frames)))).toBe(0)
      }))

    it.scopedLive("write after close fails at once with WriteAfterClose, on both ends", () =>
      Effect.gen(function*() {
        const { client, server } = yield* pair(mode)
        yield* within(client.close())
        expect(failure(yield* Effect.exit(client.send(bytes(1)))).reason).toBe("WriteAfterClose")
        yield* within(server.closed)
        expect(failure(yield* Effect.exit(server.send(bytes(1)))).reason).toBe("WriteAfterClose")
        expect(failure(yield* Effect.exit(client.ping("1 second"))).reason).toBe("WriteAfterClose")
      }))

    it.scopedLive("a frame at the limit passes; one byte over closes with FrameTooLarge (1009)", () =>
      Effect.gen(function*() {
        const limit = 64 * 1024
        const { client, server } = yield* pair(mode, { maxFrameSize: limit }, { maxFrameSize: limit + 1 })
        const atLimit = filled(limit, 7)
        yield* client.send(atLimit)
        expect(yield* within(Stream.runHead(server.frames))).toEqual(Option.some(atLimit))
        yield* client.send(filled(limit + 1, 8))
        const error = failure(yield* within(Effect.exit(Stream.runDrain(server.frames))))
        expect(error.reason).toBe("FrameTooLarge")
        const atServer = yield* within(server.closed)
        expect(atServer.initiator).toBe("local")
        expect(atServer.code).toBe(1009)
        expect(Option.map(atServer.error, (e) => e.reason)).toEqual(Option.some("FrameTooLarge"))
        const atClient = yield* within(client.closed)
        expect(atClient.initiator).toBe("remote")
        expect(atClient.code).toBe(1009)
      }))

    it.scopedLive("sending over the local limit is a typed error and keeps the connection", () =>
      Effect.gen(function*() {
        const { client, server } = yield* pair(mode, {}, { maxFrameSize: 100 })
        expect(failure(yield* Effect.exit(client.send(new Uint8Array(101)))).reason).toBe("FrameTooLarge")
        yield* client.send(new Uint8Array(100))
        expect(Option.map(yield* within(Stream.runHead(server.frames)), (f) => f.byteLength)).toEqual(Option.some(100))
      }))

    it.scopedLive("a text frame is a ProtocolError close (1003), on the listener and on the dialer", () =>
      Effect.gen(function*() {
        const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: serverTls(mode) })
        const raw = yield* rawDial(
          WebSocketTransport.endpointUrl(listener.address, mode === "wss"),
          mode === "wss" ? rawClientTls(ids.client) : {}
        )
        const server = yield* firstConnection(listener.connections)
        const rawClosed = yield* Deferred.make<number>()
        raw.once("close", (code) => Deferred.unsafeDone(rawClosed, Effect.succeed(code)))
        raw.send("hello")
        expect(failure(yield* within(Effect.exit(Stream.runDrain(server.frames)))).reason).toBe("ProtocolError")
        const info = yield* within(server.closed)
        expect(info.code).toBe(1003)
        expect(info.initiator).toBe("local")
        expect(yield* within(Deferred.await(rawClosed))).toBe(1003)

        const rawListener = yield* rawServer(mode === "wss" ? ids.server : undefined)
        const client = yield* transport.dial(
          { host: LOOPBACK, port: rawListener.port },
          { tls: mode === "wss" ? acceptAny(ids.client) : undefined }
        )
        const peer = yield* within(rawListener.connected)
        peer.send("text")
        expect(failure(yield* within(Effect.exit(Stream.runDrain(client.frames)))).reason).toBe("ProtocolError")
        expect((yield* within(client.closed)).code).toBe(1003)
      }))

    it.scopedLive("the gate runs before the upgrade: 403 and 503 reach the dialer as Rejected", () =>
      Effect.gen(function*() {
        const seen = yield* Ref.make<Array<{ host: string; certified: boolean }>>([])
        const verdicts = [
          { _tag: "Reject", status: 403, reason: "banned" } as const,
          { _tag: "Reject", status: 503, reason: "full" } as const,
          { _tag: "Accept" } as const
        ]
        const listener = yield* transport.listen({
          host: LOOPBACK,
          port: 0,
          tls: serverTls(mode),
          gate: (request) =>
            Ref.modify(seen, (all) => [
              verdicts[all.length] ?? verdicts[2]!,
              [...all, { host: request.remote.host, certified: Option.isSome(request.peerCertificate) }]
            ])
        })
        const banned = failure(yield* Effect.exit(Effect.scoped(transport.dial(listener.address, { tls: clientTls(mode) }))))
        expect(banned.reason).toBe("Rejected")
        expect(banned.message).toContain("403")
        const full = failure(yield* Effect.exit(Effect.scoped(transport.dial(listener.address, { tls: clientTls(mode) }))))
        expect(full.reason).toBe("Rejected")
        expect(full.message).toContain("503")
        const client = yield* transport.dial(listener.address, { tls: clientTls(mode) })
        const server = yield* firstConnection(listener.connections)
        yield* client.send(bytes(1))
        expect(yield* within(Stream.runHead(server.frames))).toEqual(Option.some(bytes(1)))
        expect(yield* Ref.get(seen)).toEqual(Array.from({ length: 3 }, () => ({ host: LOOPBACK, certified: mode === "wss" })))
      }))

    it.scopedLive("only /ws is upgraded: other paths get 404", () =>
      Effect.gen(function*() {
        const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: serverTls(mode) })
        const url = WebSocketTransport.endpointUrl(listener.address, mode === "wss").replace("/ws", "/other")
        const exit = yield* Effect.exit(rawDial(url, mode === "wss" ? rawClientTls(ids.client) : {}))
        assert(Exit.isFailure(exit))
        expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("404")
      }))

    it.scopedLive("a socket destroyed without a close is seen as closed promptly (ConnectionLost)", () =>
      Effect.gen(function*() {
        const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: serverTls(mode) })
        const raw = yield* rawDial(
          WebSocketTransport.endpointUrl(listener.address, mode === "wss"),
          mode === "wss" ? rawClientTls(ids.client) : {}
        )
        const server = yield* firstConnection(listener.connections)
        raw.terminate()
        const info = yield* within(server.closed, "2 seconds")
        expect(info.initiator).toBe("remote")
        expect(info.code).toBe(1006)
        expect(Option.map(info.error, (e) => e.reason)).toEqual(Option.some("ConnectionLost"))
        expect(failure(yield* within(Effect.exit(Stream.runDrain(server.frames)))).reason).toBe("ConnectionLost")

        const rawListener = yield* rawServer(mode === "wss" ? ids.server : undefined)
        const client = yield* transport.dial(
          { host: LOOPBACK, port: rawListener.port },
          { tls: mode === "wss" ? acceptAny(ids.client) : undefined }
        )
        const peer = yield* within(rawListener.connected)
        peer.terminate()
        const lost = yield* within(client.closed, "2 seconds")
        expect(Option.map(lost.error, (e) => e.reason)).toEqual(Option.some("ConnectionLost"))
      }))

    it.scopedLive("ping measures a round trip; pings fail once closed", () =>
      Effect.gen(function*() {
        const { client, server } = yield* pair(mode)
        const rtt = yield* client.ping("5 seconds")
        expect(Duration.toMillis(rtt)).toBeGreaterThanOrEqual(0)
        expect(Duration.toMillis(rtt)).toBeLessThan(5_000)
        yield* server.ping("5 seconds")
        const [a, b] = yield* Effect.all([client.ping("5 seconds"), client.ping("5 seconds")], { concurrency: 2 })
        expect(Duration.toMillis(a) + Duration.toMillis(b)).toBeGreaterThanOrEqual(0)
        yield* within(server.close())
        expect(failure(yield* Effect.exit(server.ping("1 second"))).reason).toBe("WriteAfterClose")
      }))

    it.scopedLive("a dialed connection closes with 1000 when its Scope closes", () =>
      Effect.gen(function*() {
        const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: serverTls(mode) })
        const scope = yield* Scope.make()
        const client = yield* transport.dial(listener.address, { tls: clientTls(mode) }).pipe(Scope.extend(scope))
        const server = yield* firstConnection(listener.connections)
        yield* within(Scope.close(scope, Exit.void))
        expect((yield* client.closed).code).toBe(1000)
        expect(yield* within(server.closed)).toEqual({ initiator: "remote", code: 1000, reason: "", error: Option.none() })
      }))

    it.scopedLive("closing the listener's Scope closes its connections and frees the port", () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: serverTls(mode) }).pipe(Scope.extend(scope))
        const clients = yield* Effect.forEach([1, 2, 3], () => transport.dial(listener.address, { tls: clientTls(mode) }))
        const servers = yield* within(Stream.runCollect(Stream.take(listener.connections, 3)))
        yield* within(Scope.close(scope, Exit.void))
        for (const client of clients) {
          expect(yield* within(client.closed)).toEqual({
            initiator: "remote",
            code: WebSocketTransport.LISTENER_CLOSE_CODE,
            reason: "listener closed",
            error: Option.none()
          })
        }
        for (const server of servers) expect((yield* server.closed).initiator).toBe("local")
        // The port is free again and nothing accepts there any more.
        const refused = failure(yield* Effect.exit(Effect.scoped(transport.dial(listener.address, { tls: clientTls(mode) }))))
        expect(refused.reason).toBe("DialRefused")
        yield* transport.listen({ host: LOOPBACK, port: listener.address.port, tls: serverTls(mode) })
      }))

    it.scopedLive("a port in use is AddressInUse", () =>
      Effect.gen(function*() {
        const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: serverTls(mode) })
        const exit = yield* Effect.exit(transport.listen({ host: LOOPBACK, port: listener.address.port, tls: serverTls(mode) }))
        expect(failure(exit).reason).toBe("AddressInUse")
      }))

    it.scopedLive("a dial that does not open in time is a Timeout", () =>
      Effect.gen(function*() {
        // Accepts TCP but never answers: neither TLS nor HTTP completes.
        const sockets = new Set<net.Socket>()
        const silent = net.createServer((socket) => {
          sockets.add(socket)
        })
        yield* Effect.acquireRelease(
          Effect.async<void>((resume) => {
            silent.listen(0, LOOPBACK, () => resume(Effect.void))
          }),
          () =>
            Effect.sync(() => {
              for (const socket of sockets) socket.destroy()
              silent.close()
            })
        )
        const port = (silent.address() as net.AddressInfo).port
        const exit = yield* within(Effect.exit(Effect.scoped(
          transport.dial({ host: LOOPBACK, port }, { tls: clientTls(mode), openTimeout: "300 millis" })
        )))
        expect(failure(exit).reason).toBe("Timeout")
      }))

    it.scopedLive("back-pressure: a reader that does not consume blocks the writer with bounded buffers", () =>
      Effect.gen(function*() {
        const frameSize = 1024 * 1024
        const total = 200
        const { client, server } = yield* pair(mode)
        const sent = yield* Ref.make(0)
        const sender = yield* Effect.fork(Effect.forEach(
          Array.from({ length: total }, (_, i) => i),
          (i) => Effect.zipRight(client.send(indexFrame(i, frameSize)), Ref.update(sent, (n) => n + 1)),
          { discard: true }
        ))
        // Wait until the writer has stopped making progress (bounded: at most 100 polls).
        let previous = -1
        let stable = 0
        for (let poll = 0; poll < 100 && stable < 4; poll++) {
          yield* Effect.sleep("50 millis")
          const now = yield* Ref.get(sent)
          stable = now === previous ? stable + 1 : 0
          previous = now
        }
        const blockedAt = yield* Ref.get(sent)
        const inbound = (server as WebSocketConnection).inboundBuffered
        const outbound = (client as WebSocketConnection).outboundBuffered
        expect(stable).toBeGreaterThanOrEqual(4)
        expect(blockedAt).toBeLessThan(total / 4)
        expect((server as WebSocketConnection).isReadingPaused).toBe(true)
        expect(inbound.bytes).toBeLessThanOrEqual(WebSocketTransport.DEFAULT_INBOUND_HIGH_WATER_MARK + 2 * frameSize)
        expect(outbound).toBeLessThanOrEqual(4 * 1024 * 1024 + 2 * frameSize)
        // Now consume everything: the writer finishes and every frame arrives, in order, intact.
        const received = yield* within(
          Stream.runFold(Stream.take(server.frames, total), 0, (next, frame) => {
            expect(frame.byteLength).toBe(frameSize)
            expect(indexOf(frame)).toBe(next)
            return next + 1
          }),
          "30 seconds"
        )
        yield* within(Fiber.join(sender), "5 seconds")
        expect(received).toBe(total)
        expect((server as WebSocketConnection).isReadingPaused).toBe(false)
      }), 60_000)
  })
}

describe("WebSocketTransport (wss identities and verification)", () => {
  it.scopedLive("each end sees the other's certificate and peerId = sha256(DER)", () =>
    Effect.gen(function*() {
      const { client, server } = yield* pair("wss")
      const serverDer = yield* Certificates.certificateDer(ids.server.certificatePem)
      const clientDer = yield* Certificates.certificateDer(ids.client.certificatePem)
      expect(client.peerCertificate).toEqual(Option.some(serverDer))
      expect(server.peerCertificate).toEqual(Option.some(clientDer))
      expect(client.peerId).toEqual(Option.some(Certificates.nodeId(serverDer)))
      expect(server.peerId).toEqual(Option.some(Certificates.nodeId(clientDer)))
    }))

  it.scopedLive("plain ws has no identities", () =>
    Effect.gen(function*() {
      const { client, server } = yield* pair("ws")
      expect(client.peerId).toEqual(Option.none())
      expect(server.peerCertificate).toEqual(Option.none())
    }))

  it.scopedLive("RequireCa refuses a certificate from another CA (TlsFailure); AcceptAny takes it and records its id", () =>
    Effect.gen(function*() {
      const strict = yield* transport.listen({ host: LOOPBACK, port: 0, tls: requireCa(ids.server) })
      const refused = failure(yield* Effect.exit(Effect.scoped(transport.dial(strict.address, { tls: acceptAny(ids.foreign) }))))
      expect(refused.reason).toBe("TlsFailure")

      const open = yield* transport.listen({ host: LOOPBACK, port: 0, tls: acceptAny(ids.server) })
      const client = yield* transport.dial(open.address, { tls: acceptAny(ids.foreign) })
      const server = yield* firstConnection(open.connections)
      const foreignDer = yield* Certificates.certificateDer(ids.foreign.certificatePem)
      expect(server.peerId).toEqual(Option.some(Certificates.nodeId(foreignDer)))
      yield* client.send(bytes(42))
      expect(yield* within(Stream.runHead(server.frames))).toEqual(Option.some(bytes(42)))
    }))

  it.scopedLive("a dialer with RequireCa refuses a listener whose certificate is from another CA", () =>
    Effect.gen(function*() {
      const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: acceptAny(ids.foreign) })
      const refused = failure(yield* Effect.exit(Effect.scoped(transport.dial(listener.address, { tls: requireCa(ids.client) }))))
      expect(refused.reason).toBe("TlsFailure")
    }))

  it.scopedLive("AcceptAny still requires a client certificate", () =>
    Effect.gen(function*() {
      const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: acceptAny(ids.server) })
      const url = WebSocketTransport.endpointUrl(listener.address, true)
      const exit = yield* within(Effect.exit(rawDial(url, rawClientTls(undefined))))
      assert(Exit.isFailure(exit), "a client without a certificate must not get through")
      // The same raw client with a certificate does get through.
      yield* rawDial(url, rawClientTls(ids.foreign))
      yield* firstConnection(listener.connections)
    }))

  it.scopedLive("plain dial to a TLS listener fails, never hangs", () =>
    Effect.gen(function*() {
      const listener = yield* transport.listen({ host: LOOPBACK, port: 0, tls: requireCa(ids.server) })
      const exit = yield* within(Effect.exit(Effect.scoped(transport.dial(listener.address, { openTimeout: "2 seconds" }))))
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})

describe("WebSocketTransport (addresses and options)", () => {
  it("endpointUrl brackets IPv6 literals", () => {
    expect(WebSocketTransport.endpointUrl({ host: "::1", port: 8444 }, true)).toBe("wss://[::1]:8444/ws")
    expect(WebSocketTransport.endpointUrl({ host: "10.0.0.1", port: 58444 }, true)).toBe("wss://10.0.0.1:58444/ws")
    expect(WebSocketTransport.endpointUrl({ host: "node.example", port: 80 }, false)).toBe("ws://node.example:80/ws")
  })

  it.scopedLive("IPv6 loopback works end to end", () =>
    Effect.gen(function*() {
      const listener = yield* transport.listen({ host: "::1", port: 0, tls: serverTls("wss") })
      expect(listener.address.host).toBe("::1")
      const client = yield* transport.dial({ host: "::1", port: listener.address.port }, { tls: clientTls("wss") })
      const server = yield* firstConnection(listener.connections)
      yield* client.send(bytes(6))
      expect(yield* within(Stream.runHead(server.frames))).toEqual(Option.some(bytes(6)))
      expect(server.remote.host).toBe("::1")
    }))

  it.scopedLive("a refused dial is DialRefused; bad options are InvalidOptions", () =>
    Effect.gen(function*() {
      const port = yield* Effect.scoped(transport.listen({ host: LOOPBACK, port: 0 }).pipe(Effect.map((l) => l.address.port)))
      expect(failure(yield* Effect.exit(Effect.scoped(transport.dial({ host: LOOPBACK, port }))))).toMatchObject({ reason: "DialRefused" })
      expect(failure(yield* Effect.exit(Effect.scoped(transport.dial({ host: LOOPBACK, port: 0 }))))).toMatchObject({ reason: "InvalidOptions" })
      expect(failure(yield* Effect.exit(Effect.scoped(transport.dial({ host: LOOPBACK, port }, { maxFrameSize: 0 })))))
        .toMatchObject({ reason: "InvalidOptions" })
      expect(failure(yield* Effect.exit(transport.listen({ host: LOOPBACK, port: 70000 })))).toMatchObject({ reason: "InvalidOptions" })
    }))
})
