import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Effect, Either, Layer, Option, Queue } from "effect"
import type { Scope } from "effect"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import { Certificates, type TlsIdentity, type TlsSettings } from "@peerwire/transport"
import type { MemoryNetworkShape } from "@peerwire/transport/MemoryTransport"
import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
import * as BanList from "../src/BanList.js"
import * as Config from "../src/Config.js"
import * as Node from "../src/Node.js"
import * as PeerManager from "../src/PeerManager.js"
import type { NodeEvent } from "../src/NodeEvents.js"
import { advance, advanceUntil, PORT, settle, startNode } from "./NetworkSupport.js"

const passive = { discovery: { dial: false } } as const

/** A bare peer manager of any node type (no listener, no discovery), like a wallet or a timelord dialing in. */
const startClient = (
  network: MemoryNetworkShape,
  host: string,
  nodeType: NodeType,
  tls?: TlsSettings
): Effect.Effect<PeerManager.PeerManagerShape, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      Node.started.pipe(
        Layer.provideMerge(PeerManager.layer({ networkId: "testnet-mem", nodeType, tls })),
        Layer.provide(BanList.layer()),
        Layer.provide(MemoryTransport.layer(network, { host }))
      )
    )
    return Context.get(context, PeerManager.PeerManager)
  })

const drain = (queue: Queue.Dequeue<NodeEvent>) => Effect.map(Queue.takeAll(queue), Chunk.toReadonlyArray)

let identities: Promise<{ readonly ca: TlsIdentity; readonly one: TlsIdentity; readonly two: TlsIdentity }> | undefined
/** Two node certificates under one CA, made once per file (RSA key generation is slow). */
const certificates = Effect.promise(() =>
  identities ??= Effect.runPromise(Effect.gen(function*() {
    const ca = yield* Certificates.generateCa()
    return { ca, one: yield* Certificates.generateNodeCertificate(ca), two: yield* Certificates.generateNodeCertificate(ca) }
  }))
)
const tlsOf = (identity: TlsIdentity): TlsSettings => ({ identity, verify: { _tag: "AcceptAny" } })

describe("PeerManager", () => {
  it.scoped("dials, handshakes and registers both sides, with events", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const a = yield* startNode(network, "10.1.0.1", passive)
      const b = yield* startNode(network, "10.2.0.1", passive)
      const events = yield* b.manager.subscribe
      const connected = yield* a.manager.connect({ host: b.host, port: PORT }, "manual")
      expect(connected.nodeType).toBe(NodeType.FULL_NODE)
      expect(connected.serverPort).toBe(PORT)
      expect(connected.direction).toBe("outbound")
      yield* settle
      const onB = yield* b.manager.connections
      expect(onB).toHaveLength(1)
      expect(onB[0]).toMatchObject({ direction: "inbound", host: "10.1.0.1", serverPort: PORT, purpose: "inbound" })
      // A second dial to the same host and server port is a duplicate, refused before dialing.
      const again = yield* Effect.either(a.manager.connect({ host: b.host, port: PORT }))
      expect(Either.isLeft(again) && again.left.reason).toBe("Duplicate")
      expect(yield* a.manager.disconnect(connected.nodeId)).toBe(true)
      yield* settle
      expect(yield* b.manager.connections).toHaveLength(0)
      const tags = (yield* drain(events)).map((e) => e._tag)
      expect(tags).toEqual(["Connected", "Disconnected"])
    })
  )

  it.scoped("applies the inbound caps per node type after the handshake (close 1000, no ban)", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const b = yield* startNode(network, "10.2.0.1", {
        ...passive,
        peerManager: { maxInboundFullNodes: 2, maxInboundWallets: 1 }
      })
      const events = yield* b.manager.subscribe
      for (const host of ["10.3.0.1", "10.4.0.1", "10.5.0.1"]) {
        const node = yield* startNode(network, host, passive)
        yield* Effect.either(node.manager.connect({ host: b.host, port: PORT }))
        yield* settle
      }
      const wallets = [yield* startClient(network, "10.6.0.1", NodeType.WALLET), yield* startClient(network, "10.7.0.1", NodeType.WALLET)]
      for (const wallet of wallets) {
        yield* Effect.either(wallet.connect({ host: b.host, port: PORT }))
        yield* settle
      }
      const timelord = yield* startClient(network, "10.8.0.1", NodeType.TIMELORD)
      yield* Effect.either(timelord.connect({ host: b.host, port: PORT }))
      const harvester = yield* startClient(network, "10.9.0.1", NodeType.HARVESTER)
      yield* Effect.either(harvester.connect({ host: b.host, port: PORT }))
      yield* settle
      const connections = yield* b.manager.connections
      expect(connections.filter((c) => c.nodeType === NodeType.FULL_NODE)).toHaveLength(2)
      expect(connections.filter((c) => c.nodeType === NodeType.WALLET)).toHaveLength(1)
      expect(connections).toHaveLength(3)
      const refused = (yield* drain(events)).flatMap((e) => (e._tag === "Refused" ? [e] : []))
      expect(refused.map((e) => [e.host, e.reason])).toEqual([
        ["10.5.0.1", "too many inbound full nodes (2)"],
        ["10.7.0.1", "too many inbound wallets (1)"],
        ["10.8.0.1", "timelords are accepted only from localhost"],
        ["10.9.0.1", "inbound HARVESTER connections are not accepted"]
      ])
      // Refusal is not a ban.
      expect(yield* b.bans.list).toEqual([])
      // The refused side saw a plain close after a completed handshake.
      expect(yield* harvester.connections).toHaveLength(0)
    })
  )

  it.scoped("a second connection with the same node id replaces the first", () =>
    Effect.gen(function*() {
      const { one, two } = yield* certificates
      const network = yield* MemoryTransport.makeNetwork()
      const b = yield* startNode(network, "10.2.0.1", { ...passive, peerManager: { tls: tlsOf(two) } })
      const first = yield* startClient(network, "10.3.0.1", NodeType.FULL_NODE, tlsOf(one))
      const second = yield* startClient(network, "10.4.0.1", NodeType.FULL_NODE, tlsOf(one))
      const c1 = yield* first.connect({ host: b.host, port: PORT })
      yield* settle
      expect((yield* b.manager.connections).map((c) => c.host)).toEqual(["10.3.0.1"])
      yield* second.connect({ host: b.host, port: PORT })
      yield* settle
      const now = yield* b.manager.connections
      expect(now.map((c) => c.host)).toEqual(["10.4.0.1"])
      expect(now[0]!.nodeId).toBe(Certificates.nodeIdHex(yield* Certificates.certificateDer(one.certificatePem)))
      expect(yield* c1.peer.isClosed).toBe(true)
      expect(yield* first.connections).toHaveLength(0)
    })
  )

  it.scoped("drops connections to ourselves: own address, and own node id elsewhere", () =>
    Effect.gen(function*() {
      const { one, two } = yield* certificates
      const network = yield* MemoryTransport.makeNetwork()
      const a = yield* startNode(network, "10.1.0.1", { ...passive, peerManager: { tls: tlsOf(one) } })
      const own = yield* Effect.either(a.manager.connect({ host: "10.1.0.1", port: PORT }))
      expect(Either.isLeft(own) && own.left.reason).toBe("Self")
      const loopback = yield* Effect.either(a.manager.connect({ host: "127.0.0.1", port: PORT }))
      expect(Either.isLeft(loopback) && loopback.left.reason).toBe("Self")
      // The same identity behind another address (e.g. our public IP): detected by node id after TLS.
      yield* startNode(network, "10.9.0.1", { ...passive, peerManager: { tls: tlsOf(one) } })
      const mirror = yield* Effect.either(a.manager.connect({ host: "10.9.0.1", port: PORT }))
      expect(Either.isLeft(mirror) && mirror.left.reason).toBe("Self")
      // And an honest peer still connects.
      yield* startNode(network, "10.2.0.1", { ...passive, peerManager: { tls: tlsOf(two) } })
      expect((yield* a.manager.connect({ host: "10.2.0.1", port: PORT })).host).toBe("10.2.0.1")
    })
  )

  it.scoped("a peer's ban verdict refuses it with 403 at the gate until the ban expires", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const b = yield* startNode(network, "10.2.0.1", passive)
      const events = yield* b.manager.subscribe
      const raw = network.transport({ host: "10.3.0.1" })
      // Not a handshake: the listener bans for INVALID_PROTOCOL_BAN_SECONDS (10 s).
      const connection = yield* raw.dial({ host: b.host, port: PORT })
      yield* connection.send(new Uint8Array([0xff, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00]))
      const closed = yield* connection.closed
      expect(closed.code).toBe(1002)
      yield* settle
      expect((yield* drain(events)).filter((e) => e._tag === "Banned")).toMatchObject([{ host: "10.3.0.1", seconds: 10 }])
      const refused = yield* Effect.either(raw.dial({ host: b.host, port: PORT }))
      expect(Either.isLeft(refused) && refused.left.reason).toBe("Rejected")
      expect(Either.isLeft(refused) && refused.left.message).toContain("403")
      // Meanwhile an honest node from elsewhere is accepted.
      const c = yield* startNode(network, "10.4.0.1", passive)
      yield* c.manager.connect({ host: b.host, port: PORT })
      yield* advance("11 seconds")
      const node = yield* startNode(network, "10.3.0.1", passive)
      expect((yield* node.manager.connect({ host: b.host, port: PORT })).host).toBe(b.host)
      // A node refuses locally to dial a host it has banned.
      yield* startNode(network, "10.5.0.1", passive)
      yield* b.bans.ban("10.5.0.1", 60, "test")
      const dial = yield* Effect.either(b.manager.connect({ host: "10.5.0.1", port: PORT }))
      expect(Either.isLeft(dial) && dial.left.reason).toBe("Banned")
    })
  )

  it.scoped("keeps configured peers connected, with backoff", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      yield* network.refuse("10.2.0.1")
      const a = yield* startNode(network, "10.1.0.1", {
        ...passive,
        peerManager: { peers: [{ host: "10.2.0.1", port: PORT }] }
      })
      yield* startNode(network, "10.2.0.1", passive)
      yield* advance("20 seconds")
      expect(yield* a.manager.connections).toHaveLength(0)
      yield* network.unrefuse("10.2.0.1")
      const took = yield* advanceUntil(Effect.map(a.manager.connections, (c) => c.length === 1), "60 seconds")
      expect(Option.isSome(took)).toBe(true)
      expect((yield* a.manager.connections)[0]!.purpose).toBe("configured")
      yield* network.sever("10.2.0.1")
      yield* settle
      const back = yield* advanceUntil(Effect.map(a.manager.connections, (c) => c.length === 1), "30 seconds")
      expect(Option.isSome(back)).toBe(true)
    })
  )

  it.effect("leaves nothing running once its scope closes", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      yield* Effect.scoped(Effect.gen(function*() {
        const a = yield* startNode(network, "10.1.0.1", passive)
        const b = yield* startNode(network, "10.2.0.1", passive)
        yield* a.manager.connect({ host: b.host, port: PORT })
        yield* settle
        expect((yield* network.connections).length).toBeGreaterThan(0)
      }))
      yield* settle
      expect(yield* network.connections).toEqual([])
      expect(yield* network.listeners).toEqual([])
    })
  )

  it.scoped("answers 503 at the gate when the inbound connection limit is reached", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const b = yield* startNode(network, "10.2.0.1", { ...passive, peerManager: { maxInboundConnections: 1 } })
      const raw = network.transport({ host: "10.3.0.1" })
      yield* raw.dial({ host: b.host, port: PORT })
      yield* settle
      const second = yield* Effect.either(network.transport({ host: "10.4.0.1" }).dial({ host: b.host, port: PORT }))
      expect(Either.isLeft(second) && second.left.message).toContain("503")
    })
  )

  it.scoped("takes the inbound connection limit from config.yaml's inbound.max_connections", () =>
    Effect.gen(function*() {
      const loaded = yield* Config.fromDocument({
        network: "testnet-mem",
        listen_host: "10.2.0.1",
        port: PORT,
        discovery: { enabled: false },
        inbound: { max_connections: 1 }
      })
      const network = yield* MemoryTransport.makeNetwork()
      const b = yield* startNode(network, "10.2.0.1", Node.optionsFromConfig(loaded.config))
      expect(b.manager.settings.maxInboundConnections).toBe(1)
      yield* network.transport({ host: "10.3.0.1" }).dial({ host: b.host, port: PORT })
      yield* settle
      const second = yield* Effect.either(network.transport({ host: "10.4.0.1" }).dial({ host: b.host, port: PORT }))
      expect(Either.isLeft(second) && second.left.message).toContain("503")
    })
  )
})
