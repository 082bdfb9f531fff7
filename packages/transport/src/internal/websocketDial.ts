/** Outbound connections: `ws.WebSocket` to `ws(s)://host:port/ws`, opened within `openTimeout`, closed with the Scope. */
import * as net from "node:net"
import * as tls from "node:tls"
import WebSocket from "ws"
import type { ClientRequest, IncomingMessage } from "node:http"
import { Duration, Effect, Option } from "effect"
import type { Scope } from "effect"
import type { Address, Connection, DialOptions, TransportError } from "../Transport.js"
import { WebSocketConnection } from "./websocketConnection.js"
import { dialError, transportError } from "./websocketErrors.js"
import { checkAddress, connectionLimits, endpointUrl } from "./websocketSettings.js"
import type { ConnectionLimits, TransportSettings } from "./websocketSettings.js"
import { clientTlsOptions, peerCertificate } from "./websocketTls.js"

export const dial = (
  settings: TransportSettings,
  address: Address,
  options: DialOptions | undefined
): Effect.Effect<Connection, TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* checkAddress(address, false)
    const limits = yield* connectionLimits(options)
    const open = openConnection(settings, address, options, limits).pipe(
      Effect.timeoutFail({
        duration: limits.openTimeout,
        onTimeout: () =>
          transportError("Timeout", `dial ${endpointUrl(address, options?.tls !== undefined)} timed out after ${Duration.format(limits.openTimeout)}`)
      })
    )
    // Opening may be interrupted (timeout, caller); once open, the connection belongs to the Scope.
    return yield* Effect.acquireRelease(Effect.interruptible(open), (connection) => connection.close(1000, ""))
  })

const openConnection = (
  settings: TransportSettings,
  address: Address,
  options: DialOptions | undefined,
  limits: ConnectionLimits
): Effect.Effect<WebSocketConnection, TransportError> =>
  Effect.async<WebSocketConnection, TransportError>((resume) => {
    const security = options?.tls
    const secure = security !== undefined
    let socket: net.Socket | undefined
    let secured = false
    let settled = false

    // Owning the socket gives the TLS state for error reports and the peer certificate once open.
    const createConnection = (connectOptions: tls.ConnectionOptions & net.TcpNetConnectOpts): net.Socket => {
      if (!secure) {
        socket = net.connect(connectOptions)
        return socket
      }
      const host = connectOptions.host ?? address.host
      const tlsSocket = tls.connect({
        ...connectOptions,
        ...clientTlsOptions(security),
        servername: net.isIP(host) === 0 ? host : ""
      })
      tlsSocket.once("secureConnect", () => {
        secured = true
      })
      socket = tlsSocket
      return tlsSocket
    }

    let ws: WebSocket
    try {
      ws = new WebSocket(endpointUrl(address, secure), {
        perMessageDeflate: false,
        maxPayload: limits.maxFrameSize,
        // TLS options go straight to `tls.connect` in `createConnection`.
        createConnection: createConnection as unknown as typeof net.createConnection
      })
    } catch (cause) {
      return resume(Effect.fail(transportError("InvalidOptions", `cannot dial ${endpointUrl(address, secure)}`, cause)))
    }

    const settle = (effect: Effect.Effect<WebSocketConnection, TransportError>): void => {
      if (settled) return
      settled = true
      ws.off("open", onOpen)
      ws.off("error", onError)
      ws.off("unexpected-response", onUnexpectedResponse)
      resume(effect)
    }

    const fail = (error: TransportError): void => {
      settle(Effect.fail(error))
      ws.terminate()
    }

    const onOpen = (): void => {
      if (socket === undefined) return fail(transportError("ProtocolError", "WebSocket opened without a socket"))
      const certificate = secure ? peerCertificate(socket as tls.TLSSocket) : Option.none()
      if (secure && Option.isNone(certificate)) {
        return fail(transportError("TlsFailure", "the remote presented no certificate"))
      }
      const connection = new WebSocketConnection(ws, socket, {
        id: settings.nextConnectionId(),
        direction: "outbound",
        local: { host: socket.localAddress ?? "", port: socket.localPort ?? 0 },
        remote: address,
        peerCertificate: certificate,
        maxFrameSize: limits.maxFrameSize,
        highWaterMark: limits.highWaterMark,
        inboundHighWaterMark: settings.inboundHighWaterMark,
        closeTimeoutMs: settings.closeTimeoutMs
      })
      settle(Effect.succeed(connection))
    }

    const onError = (cause: Error): void => settle(Effect.fail(dialError(cause, secure, secured)))

    const onUnexpectedResponse = (request: ClientRequest, response: IncomingMessage): void => {
      const status = response.statusCode ?? 0
      const text = response.statusMessage === undefined || response.statusMessage === "" ? "" : ` ${response.statusMessage}`
      fail(transportError("Rejected", `the remote answered HTTP ${status}${text} instead of upgrading`))
      // Handling `unexpected-response` makes the abort ours: discard the body and drop the request.
      response.resume()
      request.destroy()
    }

    // `ws` may still emit errors while tearing down; they must never reach an unhandled `error` event.
    ws.on("error", ignore)
    ws.on("open", onOpen)
    ws.on("error", onError)
    ws.on("unexpected-response", onUnexpectedResponse)

    return Effect.sync(() => {
      if (settled) return
      settled = true
      ws.off("open", onOpen)
      ws.off("error", onError)
      ws.off("unexpected-response", onUnexpectedResponse)
      ws.terminate()
    })
  })

const ignore = (): void => {}
