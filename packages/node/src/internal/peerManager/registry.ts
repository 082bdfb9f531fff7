/**
 * The set of registered connections: one per node id (a newer connection replaces an older one), indexed by the remote's
 * host and server port for the outbound duplicate check, counted per direction and node type for the inbound caps.
 */
import type { NodeType } from "@peerwire/codec/chia/MessageTypes"
import type { ConnectedPeer } from "../../PeerManager.js"
import { normalizeHost } from "../hosts.js"

const serverKey = (host: string, port: number): string => `${normalizeHost(host)}|${port}`

export class Registry {
  private readonly byNodeId = new Map<string, ConnectedPeer>()
  /** Outbound dials in flight, by dialed host and port. */
  private readonly dialing = new Set<string>()
  /** Inbound connections accepted by the gate and not yet ended (pending handshakes included). */
  inboundOpen = 0

  get size(): number {
    return this.byNodeId.size
  }

  all(): ReadonlyArray<ConnectedPeer> {
    return Array.from(this.byNodeId.values())
  }

  get(nodeId: string): ConnectedPeer | undefined {
    return this.byNodeId.get(nodeId)
  }

  /** Registers `peer`; yields the connection it replaces (same node id), if any. */
  add(peer: ConnectedPeer): ConnectedPeer | undefined {
    const previous = this.byNodeId.get(peer.nodeId)
    this.byNodeId.set(peer.nodeId, peer)
    return previous
  }

  /** Removes `peer` only if it is still the registered connection of its node id (not its replacement). */
  remove(peer: ConnectedPeer): boolean {
    if (this.byNodeId.get(peer.nodeId) !== peer) return false
    this.byNodeId.delete(peer.nodeId)
    return true
  }

  /** `is_duplicate_or_self_connection`'s duplicate half: a connection with this host and server port, or a dial to it. */
  isConnectedTo(host: string, port: number): boolean {
    const key = serverKey(host, port)
    if (this.dialing.has(key)) return true
    for (const peer of this.byNodeId.values()) if (serverKey(peer.host, peer.serverPort) === key) return true
    return false
  }

  beginDial(host: string, port: number): void {
    this.dialing.add(serverKey(host, port))
  }

  endDial(host: string, port: number): void {
    this.dialing.delete(serverKey(host, port))
  }

  countInbound(nodeType: NodeType): number {
    let n = 0
    for (const peer of this.byNodeId.values()) if (peer.direction === "inbound" && peer.nodeType === nodeType) n++
    return n
  }
}
