/**
 * What the node tells the outside world about its connections: one `ConnectionInfo` per live connection and a stream of
 * `NodeEvent`s (connected, disconnected, refused, banned) that the RPC server and the devnet table subscribe to.
 */
import type { NodeType } from "@peerwire/codec/chia/MessageTypes"

/** Why a connection was opened. */
export type ConnectionPurpose =
  /** Accepted from a remote dialer. */
  | "inbound"
  /** A discovery connection counted toward the outbound target. */
  | "outbound"
  /** A configured peer (`peers` list), kept connected with backoff. */
  | "configured"
  /** Asked for by a user (RPC `open_connection`). */
  | "manual"
  /** Tests an address from the new table; closed right after the handshake. */
  | "feeler"
  /** Asks an introducer for peers, then closes. */
  | "introducer"

export interface ConnectionInfo {
  /** Transport connection id, unique per process. */
  readonly id: string
  /** The remote's node id: SHA-256 of its certificate, hex (`plain:host:port` on a transport without TLS). */
  readonly nodeId: string
  /** The remote's socket address. */
  readonly host: string
  readonly port: number
  /** Our side's port of the connection. */
  readonly localPort: number
  /** The port the remote listens on, from its handshake (0 = none). */
  readonly serverPort: number
  readonly nodeType: NodeType
  readonly direction: "inbound" | "outbound"
  readonly purpose: ConnectionPurpose
  readonly protocolVersion: string
  readonly softwareVersion: string
  /** Epoch milliseconds when the handshake finished. */
  readonly since: number
}

export type NodeEvent =
  | { readonly _tag: "Connected"; readonly connection: ConnectionInfo }
  | {
    readonly _tag: "Disconnected"
    readonly connection: ConnectionInfo
    readonly initiator: "local" | "remote"
    readonly code: number
    readonly reason: string
  }
  /** The handshake succeeded but the connection was closed by policy (inbound caps, self, duplicate). */
  | {
    readonly _tag: "Refused"
    readonly host: string
    readonly port: number
    readonly nodeType: NodeType | undefined
    readonly reason: string
  }
  | { readonly _tag: "Banned"; readonly host: string; readonly seconds: number; readonly reason: string }
