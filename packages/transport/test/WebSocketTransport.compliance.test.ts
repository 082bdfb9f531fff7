import { Effect } from "effect"
import type { WebSocketConnection } from "../src/internal/websocketConnection.js"
import { DEFAULT_INBOUND_HIGH_WATER_MARK } from "../src/internal/websocketSettings.js"
import * as WebSocketTransport from "../src/WebSocketTransport.js"
import { type ComplianceHarness, complianceSuite } from "./compliance.js"

/**
 * Bytes a real socket pair holds beyond the sender's high-water mark before `send` waits: the receiver's inbox (its
 * high-water mark plus one socket read) and the kernel's send and receive buffers on loopback (autotuned, a few MiB).
 */
const SOCKET_SLACK = DEFAULT_INBOUND_HIGH_WATER_MARK + 12 * 1024 * 1024

const harness = (tls: boolean): ComplianceHarness => ({
  layer: WebSocketTransport.layer,
  host: "127.0.0.1",
  tls,
  clock: "live",
  // Destroys the TCP socket under the connection: no close frame, as if the process had died.
  kill: (connection) => Effect.sync(() => (connection as WebSocketConnection).terminate()),
  backPressureSlack: SOCKET_SLACK,
  deadPeerTimeout: "2 seconds"
})

complianceSuite("ws (plain)", harness(false))
complianceSuite("wss (mutual TLS)", harness(true))
