/**
 * Inbound connections: an `http`/`https` server whose `upgrade` requests for `/ws` pass the gate before `ws` completes
 * the WebSocket handshake. A refused request gets its HTTP status and the socket is then destroyed.
 */
import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo, Socket } from "node:net"
import type { Duplex } from "node:stream"
import type { TLSSocket } from "node:tls"
import { WebSocketServer } from "ws"
import type WebSocket from "ws"
import { Duration, Effect, FiberSet, Option, Queue, Stream } from "effect"
import type { Scope } from "effect"
import type { Connection, GateVerdict, InboundRequest, Listener, ListenOptions, TransportError } from "../Transport.js"
import { WebSocketConnection } from "./websocketConnection.js"
import { listenError } from "./websocketErrors.js"
import { writeHttpError } from "./websocketHttp.js"
import { checkAddress, connectionLimits, WEBSOCKET_PATH } from "./websocketSettings.js"
import type { ConnectionLimits, TransportSettings } from "./websocketSettings.js"
import { hasPeerCertificate, peerCertificate, serverTlsOptions } from "./websocketTls.js"

/** Close code sent to every accepted connection when the listener's Scope closes. */
export const LISTENER_CLOSE_CODE = 1001
/** How long shutdown waits for the server to report that every socket is gone. */
const SERVER_CLOSE_WAIT_MS = 2_000

export const listen = (
  settings: TransportSettings,
  options: ListenOptions
): Effect.Effect<Listener, TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* checkAddress(options, true)
    const limits = yield* connectionLimits(options)
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    const accepted = yield* Effect.acquireRelease(Queue.unbounded<Connection>(), Queue.shutdown)
    const server = new InboundServer(settings, options, limits, (effect) => {
      runFork(effect)
    }, (connection) => Queue.unsafeOffer(accepted, connection))
    yield* Effect.acquireRelease(server.listen(), () => server.shutdown())
    return { address: server.address(), connections: Stream.fromQueue(accepted) }
  })

class InboundServer {
  private readonly server: http.Server
  private readonly wss: WebSocketServer
  /** Every socket the server saw (TCP and TLS), so shutdown leaves none behind. */
  private readonly sockets = new Set<Duplex>()
  /** Sockets that still have to finish TLS + HTTP + gate + upgrade, with their deadline. */
  private readonly pending = new Map<Duplex, NodeJS.Timeout>()
  private readonly live = new Set<WebSocketConnection>()
  private closing = false
  private serverClosed = false
  private readonly openTimeoutMs: number

  constructor(
    private readonly settings: TransportSettings,
    private readonly options: ListenOptions,
    private readonly limits: ConnectionLimits,
    private readonly fork: (effect: Effect.Effect<void>) => void,
    private readonly deliver: (connection: WebSocketConnection) => void
  ) {
    this.openTimeoutMs = Duration.toMillis(limits.openTimeout)
    const tls = options.tls
    this.server = tls === undefined ? http.createServer() : https.createServer(serverTlsOptions(tls, this.openTimeoutMs))
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: limits.maxFrameSize,
      clientTracking: false
    })
    this.server.on("connection", this.onConnection)
    if (tls !== undefined) this.server.on("secureConnection", this.onSecureConnection)
    this.server.on("request", this.onRequest)
    this.server.on("upgrade", this.onUpgrade)
    this.server.on("clientError", this.onClientError)
    this.server.on("tlsClientError", ignore)
    this.server.on("error", ignore)
    this.wss.on("error", ignore)
    this.server.once("close", () => {
      this.serverClosed = true
    })
  }

  listen(): Effect.Effect<void, TransportError> {
    return Effect.async<void, TransportError>((resume) => {
      const onError = (cause: Error) => {
        this.server.off("listening", onListening)
        resume(Effect.fail(listenError(cause, this.options.host, this.options.port)))
      }
      const onListening = () => {
        this.server.off("error", onError)
        resume(Effect.void)
      }
      this.server.once("error", onError)
      this.server.once("listening", onListening)
      this.server.listen({ host: this.options.host, port: this.options.port })
      return Effect.sync(() => {
        this.server.off("error", onError)
        this.server.off("listening", onListening)
        this.server.close()
      })
    })
  }

  address(): { readonly host: string; readonly port: number } {
    const info = this.server.address() as AddressInfo
    return { host: info.address, port: info.port }
  }

  /** Stops accepting, closes every connection (close handshake, bounded), then drops whatever is left. */
  shutdown(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closing = true
      this.server.close()
      return Effect.forEach([...this.live], (connection) => connection.close(LISTENER_CLOSE_CODE, "listener closed"), {
        concurrency: "unbounded",
        discard: true
      })
    }).pipe(
      Effect.ensuring(Effect.suspend(() => {
        for (const timer of this.pending.values()) clearTimeout(timer)
        this.pending.clear()
        for (const socket of this.sockets) socket.destroy()
        this.sockets.clear()
        this.server.closeAllConnections()
        this.wss.close()
        return this.awaitServerClosed()
      }))
    )
  }

  /** Waits for the server's `close` event (all sockets gone), bounded in case a socket lingers. */
  private awaitServerClosed(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (this.serverClosed) return resume(Effect.void)
      const done = () => {
        clearTimeout(timer)
        this.server.off("close", done)
        resume(Effect.void)
      }
      const timer = setTimeout(done, SERVER_CLOSE_WAIT_MS)
      this.server.once("close", done)
      return Effect.sync(done)
    })
  }

  private readonly onConnection = (socket: Socket): void => {
    this.track(socket)
    // Plain sockets start their deadline now; TLS ones once the handshake (bounded by `handshakeTimeout`) is done.
    if (this.options.tls === undefined) this.startDeadline(socket)
  }

  private readonly onSecureConnection = (socket: TLSSocket): void => {
    this.track(socket)
    // `AcceptAny` still requires a certificate; Node lets a client without one through when not verifying (with
    // `RequireCa` it has already refused such a client in the handshake).
    if (this.options.tls?.verify._tag === "AcceptAny" && !hasPeerCertificate(socket)) return void socket.destroy()
    this.startDeadline(socket)
  }

  private track(socket: Duplex): void {
    if (this.closing) return void socket.destroy()
    this.sockets.add(socket)
    socket.on("error", ignore)
    socket.once("close", () => {
      this.sockets.delete(socket)
      this.clearDeadline(socket)
    })
  }

  private startDeadline(socket: Duplex): void {
    const timer = setTimeout(() => {
      this.pending.delete(socket)
      socket.destroy()
    }, this.openTimeoutMs)
    timer.unref()
    this.pending.set(socket, timer)
  }

  private clearDeadline(socket: Duplex): void {
    const timer = this.pending.get(socket)
    if (timer === undefined) return
    clearTimeout(timer)
    this.pending.delete(socket)
  }

  private readonly onClientError = (_error: Error, socket: Duplex): void => {
    socket.destroy()
  }

  /** Plain HTTP requests: the WebSocket path wants an upgrade, every other path does not exist. */
  private readonly onRequest = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const status = requestPath(request) === WEBSOCKET_PATH ? 426 : 404
    response.writeHead(status, { "Connection": "close", "Content-Length": "0" })
    response.end()
  }

  private readonly onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (this.closing) return writeHttpError(socket, 503, "listener closing")
    if (requestPath(request) !== WEBSOCKET_PATH) return writeHttpError(socket, 404, "not found")
    const gate = this.options.gate
    if (gate === undefined) return this.upgrade(request, socket, head)
    const inbound: InboundRequest = {
      remote: { host: request.socket.remoteAddress ?? "", port: request.socket.remotePort ?? 0 },
      peerCertificate: this.options.tls === undefined ? Option.none() : peerCertificate(request.socket as TLSSocket)
    }
    this.fork(
      gate(inbound).pipe(
        Effect.catchAllCause(() => Effect.succeed<GateVerdict>({ _tag: "Reject", status: 503, reason: "gate failed" })),
        Effect.flatMap((verdict) => Effect.sync(() => this.decide(verdict, request, socket, head)))
      )
    )
  }

  private decide(verdict: GateVerdict, request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (socket.destroyed) return
    if (this.closing) return writeHttpError(socket, 503, "listener closing")
    if (verdict._tag === "Reject") return writeHttpError(socket, verdict.status, verdict.reason)
    this.upgrade(request, socket, head)
  }

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, socket as Socket))
  }

  /** Runs inside `ws`'s callback: the connection attaches its listeners before any frame can be emitted. */
  private accept(ws: WebSocket, socket: Socket): void {
    this.clearDeadline(socket)
    if (this.closing) return ws.terminate()
    const connection = new WebSocketConnection(ws, socket, {
      id: this.settings.nextConnectionId(),
      direction: "inbound",
      local: { host: socket.localAddress ?? "", port: socket.localPort ?? 0 },
      remote: { host: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 },
      peerCertificate: this.options.tls === undefined ? Option.none() : peerCertificate(socket as TLSSocket),
      maxFrameSize: this.limits.maxFrameSize,
      highWaterMark: this.limits.highWaterMark,
      inboundHighWaterMark: this.settings.inboundHighWaterMark,
      closeTimeoutMs: this.settings.closeTimeoutMs,
      onFinalized: (done) => this.live.delete(done)
    })
    this.live.add(connection)
    this.deliver(connection)
  }
}

const requestPath = (request: http.IncomingMessage): string => (request.url ?? "").split("?", 1)[0] ?? ""

const ignore = (): void => {}
