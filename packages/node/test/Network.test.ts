import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Random, TestClock } from "effect"
import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
import * as AddressBook from "../src/AddressBook.js"
import { groupKey } from "../src/AddressBook.js"
import * as BanList from "../src/BanList.js"
import * as Discovery from "../src/Discovery.js"
import * as DevnetAddressBook from "../src/DevnetAddressBook.js"
import * as DnsResolver from "../src/DnsResolver.js"
import * as Node from "../src/Node.js"
import * as PeerManager from "../src/PeerManager.js"
import { advance, advanceUntil, EPOCH_MILLIS, PORT, startIntroducer, startNode, type TestNode } from "./NetworkSupport.js"

const TARGET = 8
const outbound = (node: TestNode) =>
  Effect.map(node.manager.connections, (cs) => cs.filter((c) => c.direction === "outbound" && c.purpose === "outbound"))

describe("Network", () => {
  it.scoped("50 nodes started from one introducer reach their outbound targets by introducer and peer exchange", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      const intro = yield* startIntroducer(network, "10.200.0.1")
      const nodes: Array<TestNode> = []
      for (let i = 0; i < 50; i++) {
        nodes.push(yield* startNode(network, `10.${i + 1}.0.1`, {
          discovery: { introducer: { host: intro.host, port: PORT }, targetOutbound: TARGET }
        }))
      }
      const converged = Effect.gen(function*() {
        for (const node of nodes) if ((yield* outbound(node)).length < TARGET) return false
        return true
      })
      const took = yield* advanceUntil(converged, "2 hours", "20 seconds")
      expect(Option.isSome(took)).toBe(true)
      let inboundTotal = 0
      for (const node of nodes) {
        const out = yield* outbound(node)
        // One per /16, never ourselves, never twice the same node.
        expect(new Set(out.map((c) => groupKey(c.host))).size).toBe(out.length)
        expect(out.some((c) => c.host === node.host)).toBe(false)
        const all = yield* node.manager.connections
        expect(new Set(all.map((c) => c.nodeId)).size).toBe(all.length)
        const inbound = all.filter((c) => c.direction === "inbound")
        expect(inbound.length).toBeLessThanOrEqual(PeerManager.DEFAULT_MAX_INBOUND_FULL_NODES)
        inboundTotal += inbound.length
        expect(yield* node.bans.list).toEqual([])
      }
      expect(inboundTotal).toBeGreaterThanOrEqual(50 * TARGET)
      // Peer exchange went beyond the introducer's 20-address answers.
      const known = yield* Effect.forEach(nodes, (n) => n.book.size)
      expect(Math.max(...known)).toBeGreaterThan(20)
      yield* Effect.logInfo(`converged after ${Option.getOrThrow(took)}`)
    }).pipe(Effect.withRandom(Random.make(7))), 240_000
  )

  it.scoped("a crawler: peer manager + address book + discovery, no listener, no API", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      const hosts = Array.from({ length: 10 }, (_, i) => `10.${i + 1}.0.1`)
      const nodes: Array<TestNode> = []
      for (const host of hosts) nodes.push(yield* startNode(network, host, { discovery: { dial: false } }))
      // The nodes know each other; the crawler only knows one seeder name.
      const now = Math.floor(EPOCH_MILLIS / 1000)
      for (const node of nodes) {
        const others = hosts.filter((h) => h !== node.host).map((host) => ({ host, port: PORT, timestamp: now - 60 }))
        yield* node.book.add(others, { host: "10.99.0.1", port: PORT }, 0)
      }
      const crawler = Node.started.pipe(
        Layer.provideMerge(Discovery.layer({
          targetOutbound: 50,
          feelerInterval: false,
          dnsServers: ["seed.test"],
          requestPeersInterval: "2 minutes"
        })),
        Layer.provideMerge(PeerManager.layer({ networkId: "testnet-mem" })),
        Layer.provideMerge(Layer.mergeAll(
          AddressBook.layer({ allowPrivate: true }),
          BanList.layer(),
          DnsResolver.layerRecords({ "seed.test": [hosts[0]!] })
        )),
        Layer.provide(MemoryTransport.layer(network, { host: "10.250.0.1" }))
      )
      const context = yield* Layer.build(crawler)
      const book = Context.get(context, AddressBook.AddressBook)
      const manager = Context.get(context, PeerManager.PeerManager)
      yield* advance("20 minutes", "20 seconds")
      const learned = (yield* book.entries).map((e) => e.address.host).sort()
      expect(learned).toEqual([...hosts].sort())
      expect(Option.isNone(yield* manager.listenAddress)).toBe(true)
    }), 120_000
  )

  it.effect("the devnet address book keeps one entry per IPv4 address and port", () =>
    Effect.gen(function*() {
      const book = yield* DevnetAddressBook.make()
      const now = Math.floor(EPOCH_MILLIS / 1000)
      yield* TestClock.setTime(EPOCH_MILLIS)
      const ports = [40001, 40002, 40003]
      yield* book.add(ports.map((port) => ({ host: "127.0.0.1", port, timestamp: now - 60 })), { host: "127.0.0.1", port: 1 })
      expect((yield* book.entries).map((e) => `${e.address.host}:${e.address.port}`).sort()).toEqual(
        ports.map((p) => `127.0.0.1:${p}`)
      )
      // The default book, like the reference, keeps one entry per IP.
      const strict = yield* AddressBook.make({ allowPrivate: true })
      yield* strict.add(ports.map((port) => ({ host: "127.0.0.1", port, timestamp: now - 60 })), { host: "127.0.0.1", port: 1 })
      expect(yield* strict.size).toBe(1)
    })
  )
})
