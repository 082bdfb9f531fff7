/**
 * Real sockets: five nodes and an introducer over wss on 127.0.0.1 (mutual TLS under one CA), real clock. Every node
 * shares the group of 127.0.0.1, so the group rule is off (as a loopback devnet must do). Then misbehaving raw clients
 * are banned and refused with 403, while the victims' honest connections stay up.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Either, Layer, Option } from "effect"
import type { Scope } from "effect"
import { encodeMessage } from "@peerwire/codec/chia/Catalogue"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import * as ChiaPeer from "@peerwire/peer/chia/ChiaPeer"
import { type Address, Certificates, type TlsSettings } from "@peerwire/transport"
import * as WebSocketTransport from "@peerwire/transport/WebSocketTransport"
import * as BanList from "../src/BanList.js"
import * as AddressBook from "../src/AddressBook.js"
import * as Discovery from "../src/Discovery.js"
import * as DevnetAddressBook from "../src/DevnetAddressBook.js"
import * as DnsResolver from "../src/DnsResolver.js"
import * as Introducer from "../src/Introducer.js"
import * as Node from "../src/Node.js"
import * as PeerManager from "../src/PeerManager.js"

const NETWORK = "devnet-wss"
const TARGET = 3
const MAX_FRAME = 256 * 1024

interface WssNode {
  readonly discovery: Discovery.DiscoveryShape
  readonly book: AddressBook.AddressBookShape
  readonly manager: PeerManager.PeerManagerShape
  readonly bans: BanList.BanListShape
  readonly address: Address
}

const waitFor = (done: Effect.Effect<boolean>, limit: Duration.DurationInput) =>
  Effect.gen(function*() {
    const deadline = Date.now() + Duration.toMillis(limit)
    while (Date.now() < deadline) {
      if (yield* done) return true
      yield* Effect.sleep("100 millis")
    }
    return yield* done
  })

const outboundCount = (node: WssNode) =>
  Effect.map(node.manager.connections, (cs) => cs.filter((c) => c.direction === "outbound" && c.purpose === "outbound").length)

describe("Network over wss on 127.0.0.1", () => {
  it.scopedLive("five nodes reach their targets through an introducer; misbehaving clients are banned", () =>
    Effect.gen(function*() {
      const ca = yield* Certificates.generateCa()
      const tlsFor = (): Effect.Effect<TlsSettings, unknown> =>
        Effect.map(Certificates.generateNodeCertificate(ca), (identity) => ({
          identity,
          verify: { _tag: "RequireCa", caPem: [ca.certificatePem] }
        }))
      const listen = { host: "127.0.0.1", port: 0 }
      const transport = Layer.provide(WebSocketTransport.layer)
      const peerManager = (tls: TlsSettings): PeerManager.PeerManagerOptions => ({
        networkId: NETWORK,
        listen,
        tls,
        maxFrameSize: MAX_FRAME
      })
      const bans = { exemptLocalhost: false }

      const introContext = yield* Layer.build(Node.introducerLayer({
        peerManager: peerManager(yield* tlsFor()),
        introducer: { vettingInterval: "1 second" },
        banList: bans,
        dnsLayer: DnsResolver.layerRecords({})
      }).pipe(transport))
      const introManager = Context.get(introContext, PeerManager.PeerManager)
      const introAddress = Option.getOrThrow(yield* introManager.listenAddress)

      const start = (tls: TlsSettings): Effect.Effect<WssNode, unknown, Scope.Scope> =>
        Effect.gen(function*() {
          const context = yield* Layer.build(Node.layer({
            peerManager: peerManager(tls),
            discovery: {
              introducer: introAddress,
              targetOutbound: TARGET,
              groupRule: false,
              feelerInterval: false,
              peerConnectInterval: "1 second"
            },
            // The default book keeps one port per IP (like the reference); a one-IP devnet needs host+port keys.
            addressBookLayer: DevnetAddressBook.layer(),
            banList: bans,
            dnsLayer: DnsResolver.layerRecords({})
          }).pipe(transport))
          const manager = Context.get(context, PeerManager.PeerManager)
          return {
            discovery: Context.get(context, Discovery.Discovery),
            book: Context.get(context, AddressBook.AddressBook),
            manager,
            bans: Context.get(context, BanList.BanList),
            address: Option.getOrThrow(yield* manager.listenAddress)
          }
        })
      const nodes: Array<WssNode> = []
      for (let i = 0; i < 5; i++) nodes.push(yield* start(yield* tlsFor()))

      // Between two nodes there is at most one connection (the reference skips hosts+ports it is connected to either
      // way), so five nodes have 10 links for 15 wanted outbound ones: a node is done when it has its target or is
      // connected to every other node. Every node keeps dialing until then, so this state is always reached.
      const saturated = (node: WssNode) =>
        Effect.map(node.manager.connections, (cs) =>
          cs.filter((c) => c.direction === "outbound" && c.purpose === "outbound").length >= TARGET ||
          new Set(cs.filter((c) => c.nodeType === NodeType.FULL_NODE).map((c) => c.serverPort)).size === nodes.length - 1)
      const converged = Effect.map(Effect.forEach(nodes, saturated), (done) => done.every(Boolean))
      const ok = yield* waitFor(converged, "60 seconds")
      if (!ok) {
        // What each node had, to tell a slow bootstrap from a stuck loop.
        for (const n of nodes) {
          const connections = (yield* n.manager.connections).map((c) => [c.direction, c.purpose, c.serverPort])
          const book = (yield* n.book.entries).map((e) => [e.address.port, e.lastTry, e.attempts])
          yield* Effect.logError(n.address.port, connections, yield* n.discovery.stats, book)
        }
      }
      expect(ok).toBe(true)
      const outbound = yield* Effect.forEach(nodes, outboundCount)
      expect(outbound.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(8)
      expect((yield* Context.get(introContext, Introducer.Introducer).peers).length).toBe(5)
      for (const node of nodes) {
        const connections = yield* node.manager.connections
        expect(connections.some((c) => c.serverPort === node.address.port)).toBe(false)
        expect(new Set(connections.map((c) => c.nodeId)).size).toBe(connections.length)
      }

      // ---- misbehaving raw clients ----------------------------------------------------------------------------------
      const raw = WebSocketTransport.make()
      const rawTls = yield* tlsFor()
      const handshake = (address: Address, networkId = NETWORK) =>
        Effect.gen(function*() {
          const connection = yield* raw.dial(address, { tls: rawTls })
          return yield* ChiaPeer.fromConnection(connection, "dialer", {
            networkId,
            nodeType: NodeType.FULL_NODE,
            serverPort: 0
          })
        })
      const refusedWith403 = (address: Address) =>
        Effect.map(Effect.either(Effect.scoped(raw.dial(address, { tls: rawTls }))), (result) =>
          Either.isLeft(result) && result.left.reason === "Rejected" && result.left.message.includes("403"))
      const misbehave = (victim: WssNode, act: (address: Address) => Effect.Effect<void, unknown, Scope.Scope>) =>
        Effect.gen(function*() {
          const honestBefore = (yield* victim.manager.connections).map((c) => c.id).sort()
          yield* Effect.scoped(act(victim.address)).pipe(Effect.ignore)
          expect(yield* waitFor(victim.bans.isBanned("127.0.0.1"), "10 seconds")).toBe(true)
          expect(yield* refusedWith403(victim.address)).toBe(true)
          const honestAfter = (yield* victim.manager.connections).map((c) => c.id)
          for (const id of honestBefore) expect(honestAfter).toContain(id)
          return (yield* victim.bans.list)[0]!
        })

      // 1. A frame over the victim's limit after a valid handshake: 300 s (RATE_LIMITER_BAN_SECONDS).
      const oversize = yield* misbehave(nodes[0]!, (address) =>
        Effect.gen(function*() {
          const peer = yield* handshake(address)
          yield* peer.connection.send(new Uint8Array(MAX_FRAME + 1024))
          yield* peer.closed
        }))
      expect(Math.round((oversize.until - Date.now()) / 1000)).toBeGreaterThan(290)

      // 2. A flood of request_peers past the inbound limit (10 per minute): 300 s.
      const flood = yield* misbehave(nodes[1]!, (address) =>
        Effect.gen(function*() {
          const peer = yield* handshake(address)
          const frame = Either.getOrThrow(encodeMessage("request_peers", {}))
          for (let i = 0; i < 20; i++) yield* peer.connection.send(frame).pipe(Effect.ignore)
          yield* peer.closed
        }))
      expect(Math.round((flood.until - Date.now()) / 1000)).toBeGreaterThan(290)

      // 3. Another network: the listener refuses the handshake and bans 10 s.
      const wrongNetwork = yield* misbehave(nodes[2]!, (address) => Effect.asVoid(handshake(address, "othernet")))
      expect(Math.round((wrongNetwork.until - Date.now()) / 1000)).toBeLessThanOrEqual(10)

      // Honest nodes are still at their targets.
      expect(yield* converged).toBe(true)
    }), 120_000
  )
})
