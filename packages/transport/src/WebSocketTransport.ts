/**
 * `Transport` over WebSocket binary frames, `wss://host:port/ws` with mutual TLS (plain `ws://` only when `tls` is not
 * given), as the reference Chia node speaks it. Built directly on `ws`, which gives real back-pressure both ways:
 * `send` waits on the socket's `drain`, and a consumer that stops reading `frames` pauses reading from the socket.
 *
 * A peer that disappears without closing TCP (half-open) is not noticed by this layer until a write fails; the peer
 * layer's heartbeat (`Connection.ping` with a timeout) is what finds it.
 */
import { Layer } from "effect"
import { dial } from "./internal/websocketDial.js"
import { listen, LISTENER_CLOSE_CODE as LISTENER_CLOSE } from "./internal/websocketListen.js"
import {
  DEFAULT_INBOUND_HIGH_WATER_MARK as INBOUND_HIGH_WATER_MARK,
  endpointUrl as url,
  transportSettings,
  WEBSOCKET_PATH as PATH
} from "./internal/websocketSettings.js"
import type { WebSocketTransportOptions as Options } from "./internal/websocketSettings.js"
import type { Address, TransportShape } from "./Transport.js"
import { Transport } from "./Transport.js"

/** Options of this implementation on top of the generic `DialOptions`/`ListenOptions`. */
export type WebSocketTransportOptions = Options

/** The only path that is upgraded; other paths get HTTP 404. */
export const WEBSOCKET_PATH: string = PATH

/** Inbound bytes buffered for a slow consumer before the socket stops being read (4 MiB). */
export const DEFAULT_INBOUND_HIGH_WATER_MARK: number = INBOUND_HIGH_WATER_MARK

/** Close code sent to every accepted connection when its listener's Scope closes (1001, going away). */
export const LISTENER_CLOSE_CODE: number = LISTENER_CLOSE

/** `wss://host:port/ws` (or `ws://`), IPv6 literals in brackets. */
export const endpointUrl = (address: Address, secure: boolean): string => url(address, secure)

/** A `Transport` over `ws`. */
export const make = (options?: WebSocketTransportOptions): TransportShape => {
  const settings = transportSettings(options)
  return {
    dial: (address, dialOptions) => dial(settings, address, dialOptions),
    listen: (listenOptions) => listen(settings, listenOptions)
  }
}

/** `Transport` over WebSocket with the default options. */
export const layer: Layer.Layer<Transport> = Layer.sync(Transport, () => make())

/** `Transport` over WebSocket with the given options. */
export const layerWith = (options: WebSocketTransportOptions): Layer.Layer<Transport> =>
  Layer.sync(Transport, () => make(options))
