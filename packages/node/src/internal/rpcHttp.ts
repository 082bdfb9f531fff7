/**
 * The HTTPS side of the RPC server: `POST /<command>` with a JSON body, mutual TLS (TLS ≥ 1.3, client certificate
 * required and checked against the private CA), a WebSocket at `/ws`, bounded bodies, and a scoped lifetime.
 * Every answer is HTTP 200 with a JSON body, `success: false` included (the reference answers handler errors that way;
 * a client such as the reference's `RpcClient` then sees the message instead of a bare HTTP error).
 */
import { Effect, Either, FiberSet, type Scope } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer, type Server } from "node:https"
import type { AddressInfo, Socket } from "node:net"
import { WebSocketServer } from "ws"
import type { TlsIdentity } from "@peerwire/transport"
import { failure, unknownCommand } from "./rpcDispatch.js"
import { RpcServerError } from "./rpcError.js"
import { type JsonObject, parseObject, render } from "./rpcJson.js"
import { serveSocket } from "./rpcWebSocket.js"

/** A body larger than the limit but at most this many times it is read and dropped, so the client sees the answer. */
export const DRAIN_FACTOR = 16
/** Time allowed for a client's TLS handshake (the reference: 30 s). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 30_000
/** Time allowed to receive a whole request (headers and body). */
export const REQUEST_TIMEOUT_MS = 60_000
export const HEADERS_TIMEOUT_MS = 30_000
export const KEEP_ALIVE_TIMEOUT_MS = 5_000
/** How long closing waits for requests in flight before dropping every connection. */
export const CLOSE_GRACE_MS = 2_000
export const WEBSOCKET_PATH = "/ws"

export interface HttpSettings {
  readonly host: string
  readonly port: number
  readonly identity: TlsIdentity
  readonly caPem: ReadonlyArray<string>
  readonly maxBodyBytes: number
  /** Runs a command: never fails. */
  readonly answer: (command: string, params: JsonObject) => Effect.Effect<JsonObject>
  /** Used only to tell an unknown command before reading the body. */
  readonly known: (command: string) => boolean
}

type Body =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "TooLarge"; readonly drained: boolean }
  | { readonly _tag: "Aborted" }

const readBody = (request: IncomingMessage, maxBytes: number): Effect.Effect<Body> =>
  Effect.async<Body>((resume) => {
    const declared = Number(request.headers["content-length"] ?? "0")
    const drainLimit = maxBytes * DRAIN_FACTOR
    if (declared > drainLimit) {
      resume(Effect.succeed({ _tag: "TooLarge", drained: false }))
      return
    }
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (body: Body) => {
      if (done) return
      done = true
      cleanup()
      resume(Effect.succeed(body))
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) chunks.push(chunk)
      else if (size > drainLimit) finish({ _tag: "TooLarge", drained: false })
    }
    const onEnd = () =>
      finish(
        size > maxBytes
          ? { _tag: "TooLarge", drained: true }
          : { _tag: "Text", text: Buffer.concat(chunks).toString("utf8") }
      )
    const onClose = () => {
      if (!request.complete) finish({ _tag: "Aborted" })
    }
    const onError = () => finish({ _tag: "Aborted" })
    const cleanup = () => {
      request.off("data", onData)
      request.off("end", onEnd)
      request.off("close", onClose)
      request.off("error", onError)
    }
    request.on("data", onData)
    request.on("end", onEnd)
    request.on("close", onClose)
    request.on("error", onError)
    return Effect.sync(cleanup)
  })

const send = (response: ServerResponse, body: JsonObject, closeAfter: boolean): Effect.Effect<void> =>
  Effect.sync(() => {
    if (response.headersSent || response.destroyed) return
    const text = render(body)
    response.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(text),
      ...(closeAfter ? { connection: "close" } : {})
    })
    response.end(text)
  })

/** The command a request path names (`/get_connections?x` → `get_connections`). */
const commandOf = (url: string | undefined): string => {
  const path = (url ?? "/").split("?")[0] ?? "/"
  return path.startsWith("/") ? path.slice(1) : path
}

const handleRequest = (request: IncomingMessage, response: ServerResponse, settings: HttpSettings) =>
  Effect.gen(function* () {
    const command = commandOf(request.url)
    const body = yield* readBody(request, settings.maxBodyBytes)
    switch (body._tag) {
      case "Aborted":
        return
      case "TooLarge":
        return yield* send(
          response,
          failure(`request body larger than ${settings.maxBodyBytes} bytes`),
          !body.drained
        )
    }
    if (request.method !== "POST") {
      const usage = `use POST /${command || "<command>"} with a JSON body (got ${request.method})`
      return yield* send(response, failure(usage), false)
    }
    if (!settings.known(command)) return yield* send(response, failure(unknownCommand(command).message), false)
    const params = parseObject(body.text)
    if (Either.isLeft(params)) return yield* send(response, failure(params.left), false)
    const answer = yield* settings.answer(command, params.right)
    yield* send(response, answer, false)
  })

const listenError = (error: unknown, host: string, port: number): RpcServerError => {
  const code = (error as { readonly code?: unknown }).code
  const where = `${host}:${port}`
  return code === "EADDRINUSE"
    ? new RpcServerError({
      reason: "AddressInUse",
      message: `cannot start the RPC server: ${where} is already in use (another node or service is listening there)`,
      cause: error
    })
    : new RpcServerError({
      reason: "Listen",
      message: `cannot start the RPC server on ${where}: ${error instanceof Error ? error.message : String(error)}`,
      cause: error
    })
}

const listen = (server: Server, host: string, port: number): Effect.Effect<void, RpcServerError> =>
  Effect.async<void, RpcServerError>((resume) => {
    const onError = (error: Error) => {
      server.off("listening", onListening)
      resume(Effect.fail(listenError(error, host, port)))
    }
    const onListening = () => {
      server.off("error", onError)
      resume(Effect.void)
    }
    server.once("error", onError)
    server.once("listening", onListening)
    server.listen(port, host)
    return Effect.sync(() => {
      server.off("error", onError)
      server.off("listening", onListening)
      server.close()
    })
  })

// Stops accepting, lets requests in flight finish for a grace period, then drops every socket (TLS handshakes and
// WebSockets included, which `server.close` alone would wait for).
const close = (server: Server, sockets: Set<Socket>, webSockets: WebSocketServer): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    for (const client of webSockets.clients) client.terminate()
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(grace)
      clearTimeout(hard)
      resume(Effect.void)
    }
    server.close(finish)
    server.closeIdleConnections()
    const grace = setTimeout(() => {
      for (const socket of sockets) socket.destroy()
    }, CLOSE_GRACE_MS)
    const hard = setTimeout(finish, CLOSE_GRACE_MS * 2)
    return Effect.sync(() => {
      clearTimeout(grace)
      clearTimeout(hard)
    })
  }).pipe(Effect.zipRight(Effect.sync(() => webSockets.close())))

/** Starts the server; closing the scope stops it. Resolves with the bound port (useful with port 0). */
export const start = (settings: HttpSettings): Effect.Effect<AddressInfo, RpcServerError, Scope.Scope> =>
  Effect.gen(function* () {
    const fibers = yield* FiberSet.make<void, never>()
    const run = yield* FiberSet.runtime(fibers)<never>()
    const fork = (effect: Effect.Effect<void>) => {
      run(effect)
    }
    const server = yield* Effect.try({
      try: () =>
        createServer({
          cert: settings.identity.certificatePem,
          key: settings.identity.privateKeyPem,
          ca: [...settings.caPem],
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: "TLSv1.3",
          handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
          requestTimeout: REQUEST_TIMEOUT_MS,
          headersTimeout: HEADERS_TIMEOUT_MS,
          keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS
        }),
      catch: (cause) =>
        new RpcServerError({
          reason: "Tls",
          message: `cannot set up TLS for the RPC server: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    })
    const sockets = new Set<Socket>()
    server.on("connection", (socket: Socket) => {
      sockets.add(socket)
      socket.once("close", () => sockets.delete(socket))
    })
    // Failed handshakes (no or foreign client certificate) only concern that client; errors after listening too.
    server.on("tlsClientError", () => undefined)
    server.on("error", () => undefined)
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      fork(handleRequest(request, response, settings))
    })
    const webSockets = new WebSocketServer({
      noServer: true,
      maxPayload: settings.maxBodyBytes,
      perMessageDeflate: false
    })
    server.on("upgrade", (request: IncomingMessage, socket: Socket, head: Buffer) => {
      if (commandOf(request.url) !== WEBSOCKET_PATH.slice(1)) {
        socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
        return
      }
      webSockets.handleUpgrade(request, socket, head, (webSocket) => serveSocket(webSocket, settings.answer, fork))
    })
    yield* Effect.acquireRelease(listen(server, settings.host, settings.port), () => close(server, sockets, webSockets))
    return server.address() as AddressInfo
  })
