import { readFileSync } from "node:fs"
import { Effect } from "effect"
import type { WebSocketConnection } from "../src/internal/websocketConnection.js"
import { DEFAULT_INBOUND_HIGH_WATER_MARK } from "../src/internal/websocketSettings.js"
import * as WebSocketTransport from "../src/WebSocketTransport.js"
import { type ComplianceHarness, complianceSuite } from "./compliance.js"

/** Kernel socket buffering assumed where the kernel's limits cannot be read (not Linux). */
const ASSUMED_KERNEL_BUFFERS = 12 * 1024 * 1024

/**
 * The most a loopback TCP connection can hold in the kernel: the largest send buffer plus the largest receive buffer
 * autotuning may reach (Linux `tcp_wmem` / `tcp_rmem`, third field). A busy machine was seen holding 13 MB there (with
 * a 32 MiB `tcp_rmem` limit), more than a fixed guess of "a few MiB" allows.
 */
const kernelSocketBuffers = (): number => {
  try {
    const largest = (file: string) => Number(readFileSync(file, "utf8").trim().split(/\s+/)[2])
    const total = largest("/proc/sys/net/ipv4/tcp_wmem") + largest("/proc/sys/net/ipv4/tcp_rmem")
    return Number.isSafeInteger(total) && total > 0 ? total : ASSUMED_KERNEL_BUFFERS
  } catch {
    return ASSUMED_KERNEL_BUFFERS
  }
}

/**
 * Bytes a real socket pair holds beyond the sender's high-water mark before `send` waits: the receiver's inbox (its
 * high-water mark plus one socket read) and the kernel's send and receive buffers on loopback.
 */
const SOCKET_SLACK = DEFAULT_INBOUND_HIGH_WATER_MARK + 64 * 1024 + kernelSocketBuffers()

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
