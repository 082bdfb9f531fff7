import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Option, Random, TestClock } from "effect"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
import { groupKey } from "../src/AddressBook.js"
import * as DnsResolver from "../src/DnsResolver.js"
import {
  MAX_TOTAL_PEERS_RECEIVED,
  ReceivedCounter,
  relayOrder,
  sanitize,
  STALE_TIMESTAMP_AGE_SECONDS
} from "../src/internal/discovery/gossip.js"
import { selectionTries } from "../src/internal/discovery/loop.js"
import { advance, advanceUntil, EPOCH_MILLIS, PORT, startNode, type TestNode } from "./NetworkSupport.js"

const passive = { discovery: { dial: false } } as const
const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))
const hostsOf = (node: TestNode) => Effect.map(node.book.entries, (entries) => entries.map((e) => e.address.host).sort())
const outboundOf = (node: TestNode) =>
  Effect.map(node.manager.connections, (cs) => cs.filter((c) => c.direction === "outbound" && c.purpose === "outbound"))

describe("Discovery: gossip rules", () => {
  it("keeps IP literals only and repairs insane timestamps", () => {
    const now = 1_750_000_000
    const out = sanitize([
      { host: "1.2.3.4", port: 8444, timestamp: BigInt(now - 60) },
      { host: "example.com", port: 8444, timestamp: BigInt(now) },
      { host: "1:2:3:4:5:6:7:8".padEnd(46, "0"), port: 8444, timestamp: BigInt(now) },
      { host: "2001:db8::1", port: 8444, timestamp: 99_999_999n },
      { host: "5.6.7.8", port: 8444, timestamp: BigInt(now + 601) },
      { host: "9.9.9.9", port: 8444, timestamp: 2n ** 63n }
    ], now)
    expect(out).toEqual([
      { host: "1.2.3.4", port: 8444, timestamp: now - 60 },
      { host: "2001:db8::1", port: 8444, timestamp: now - STALE_TIMESTAMP_AGE_SECONDS },
      { host: "5.6.7.8", port: 8444, timestamp: now - STALE_TIMESTAMP_AGE_SECONDS },
      { host: "9.9.9.9", port: 8444, timestamp: now - STALE_TIMESTAMP_AGE_SECONDS }
    ])
  })

  it("limits each source to 3000 addresses per 24 hours", () => {
    const counter = new ReceivedCounter()
    expect(counter.admit("1.1.1.1", 1000, 0)).toBe(true)
    expect(counter.admit("1.1.1.1", 1000, 10)).toBe(true)
    expect(counter.admit("1.1.1.1", 1000, 20)).toBe(true)
    expect(counter.admit("1.1.1.1", 1, 30)).toBe(false)
    expect(counter.admit("2.2.2.2", MAX_TOTAL_PEERS_RECEIVED, 30)).toBe(true)
    expect(counter.admit("1.1.1.1", 1000, 24 * 3600)).toBe(true)
  })

  it("orders relay targets by a keyed hash that changes daily", () => {
    const secret = new Uint8Array(32).fill(7)
    const neighbours = Array.from({ length: 20 }, (_, i) => ({ nodeId: `n${i}` }))
    const day1 = relayOrder(secret, neighbours, 86_400 * 100).map((n) => n.nodeId)
    expect(relayOrder(secret, neighbours, 86_400 * 100 + 3600).map((n) => n.nodeId)).toEqual(day1)
    expect(relayOrder(secret, neighbours, 86_400 * 101).map((n) => n.nodeId)).not.toEqual(day1)
    expect([...day1].sort()).toEqual(neighbours.map((n) => n.nodeId).sort())
  })

  it("tries more addresses when more groups are connected", () => {
    expect([0, 2, 3, 5, 6, 8].map(selectionTries)).toEqual([10, 10, 25, 25, 50, 50])
  })
})

describe("Discovery on the network", () => {
  it.scoped("asks outbound full nodes for peers and adds inbound full nodes to the book", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      const a = yield* startNode(network, "10.1.0.1", passive)
      const b = yield* startNode(network, "10.2.0.1", passive)
      const now = yield* nowSeconds
      const known = Array.from({ length: 20 }, (_, i) => ({ host: `10.${100 + i}.0.1`, port: PORT, timestamp: now - 60 }))
      yield* b.book.add(known, { host: "10.99.0.1", port: PORT }, 0)
      yield* a.manager.connect({ host: b.host, port: PORT }, "outbound")
      yield* advance("2 seconds")
      // `sample` shares ⌈23 %⌉ of B's book: 5 of its 20 (or 21, once A itself is in it; A may get its own address).
      const learned = (yield* a.book.entries).filter((e) => e.address.host !== b.host && e.address.host !== a.host)
      expect(learned.length).toBeGreaterThanOrEqual(4)
      expect(learned.length).toBeLessThanOrEqual(5)
      for (const e of learned) {
        expect(e.source).toEqual({ host: b.host, port: PORT })
        expect(e.timestamp).toBe(now - 60 - 2 * 3600)
      }
      // B learned A's address (socket IP + server port) from the inbound connection, source A, no penalty.
      const entryOfA = (yield* b.book.entries).find((e) => e.address.host === a.host)
      expect(entryOfA).toMatchObject({ address: { host: a.host, port: PORT }, source: { host: a.host, port: PORT } })
    })
  )

  it.scoped("ignores oversize and over-budget respond_peers, relays single fresh entries to two neighbours", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      const b = yield* startNode(network, "10.2.0.1", passive)
      const c = yield* startNode(network, "10.3.0.1", passive)
      const d = yield* startNode(network, "10.4.0.1", passive)
      const e = yield* startNode(network, "10.5.0.1", passive)
      const a = yield* startNode(network, "10.1.0.1", passive)
      for (const n of [c, d, e]) yield* n.manager.connect({ host: b.host, port: PORT })
      const link = yield* a.manager.connect({ host: b.host, port: PORT })
      yield* advance("2 seconds")
      const before = yield* b.discovery.stats
      const now = yield* nowSeconds
      const batch = (n: number, base: number) =>
        Array.from({ length: n }, (_, i) => ({
          host: `11.${base + Math.floor(i / 250)}.${i % 250}.1`,
          port: PORT,
          timestamp: BigInt(now - 3600)
        }))
      // 1001 entries: ignored whole. Then 3 × 1000 accepted, the 4th thousand over the 24-h budget ignored.
      // One message per minute keeps the sender under the outbound rate limit for respond_peers.
      yield* link.peer.send("respond_peers", { peer_list: batch(1001, 0) })
      for (let i = 0; i < 4; i++) {
        yield* advance("61 seconds", "61 seconds")
        yield* link.peer.send("respond_peers", { peer_list: batch(1000, 10 + 10 * i) })
      }
      yield* advance("61 seconds", "61 seconds")
      const after = yield* b.discovery.stats
      expect(after.messagesIgnored - before.messagesIgnored).toBe(2)
      expect(after.addressesReceived - before.addressesReceived).toBe(3000)
      expect((yield* b.book.entries).some((x) => x.address.host.startsWith("11.0."))).toBe(false)
      // A single fresh entry is relayed to exactly two of B's other full-node neighbours.
      yield* advance("61 seconds", "61 seconds")
      const fresh = { host: "12.0.0.1", port: PORT, timestamp: BigInt(yield* nowSeconds) }
      const relayLink = yield* Effect.map(c.manager.peers, (ps) => ps[0]!)
      yield* relayLink.peer.send("respond_peers", { peer_list: [fresh] })
      yield* advance("2 seconds")
      const knowing = []
      for (const n of [a, d, e]) if ((yield* hostsOf(n)).includes("12.0.0.1")) knowing.push(n.host)
      expect(knowing).toHaveLength(2)
      expect((yield* hostsOf(c)).includes("12.0.0.1")).toBe(false)
    })
  )

  it.scoped("bootstraps from DNS seeders (fake resolver) and dials what they return", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      const seeds = ["10.20.0.1", "10.21.0.1", "10.22.0.1"]
      for (const host of seeds) yield* startNode(network, host, passive)
      const a = yield* startNode(network, "10.1.0.1", {
        discovery: { dnsServers: ["seeder.test"], targetOutbound: 3, feelerInterval: false },
        dnsLayer: DnsResolver.layerRecords({ "seeder.test": seeds })
      })
      const took = yield* advanceUntil(Effect.map(outboundOf(a), (o) => o.length === 3), "120 seconds")
      expect(Option.isSome(took)).toBe(true)
      expect((yield* a.discovery.stats).dnsQueries).toBe(1)
      expect((yield* outboundOf(a)).map((c) => c.host).sort()).toEqual(seeds)
    })
  )

  it.scoped("backs off from 1 s, doubling to 512 s, while nothing is known", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      yield* network.refuse("10.250.0.1")
      const a = yield* startNode(network, "10.1.0.1", {
        discovery: { introducer: { host: "10.250.0.1", port: PORT }, feelerInterval: false }
      })
      // Queries at 1, 23.25, 47.5, 75.75, 112, 164.25, 248.5, 396.75, 673, 1205.25, 1737.5 … s
      // (backoff + 5 s introducer pause + 15.25 s idle iteration).
      yield* advance("700 seconds", "100 seconds")
      expect((yield* a.discovery.stats).introducerQueries).toBe(9)
      yield* advance("1100 seconds", "100 seconds")
      expect((yield* a.discovery.stats).introducerQueries).toBe(11)
      yield* advance("5320 seconds", "532 seconds")
      expect((yield* a.discovery.stats).introducerQueries).toBe(21)
    })
  )

  it.scoped("keeps at most one outbound connection per /16 (rule off: as many as the target)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      const sameGroup = Array.from({ length: 10 }, (_, i) => `10.20.${i}.1`)
      const others = ["10.30.0.1", "10.31.0.1", "10.32.0.1"]
      for (const host of [...sameGroup, ...others]) yield* startNode(network, host, passive)
      const now = yield* nowSeconds
      const seed = [...sameGroup, ...others].map((host) => ({ host, port: PORT, timestamp: now - 60 }))
      const strict = yield* startNode(network, "10.1.0.1", { discovery: { targetOutbound: 8, feelerInterval: false } })
      yield* strict.book.add(seed, { host: "10.9.0.1", port: PORT }, 0)
      const loose = yield* startNode(network, "10.2.0.1", {
        discovery: { targetOutbound: 8, feelerInterval: false, groupRule: false }
      })
      yield* loose.book.add(seed, { host: "10.9.0.1", port: PORT }, 0)
      yield* advance("600 seconds", "10 seconds")
      // Gossip also teaches it other nodes' addresses (10.2/16 …): distinct groups, one of the ten in 10.20/16.
      const strictGroups = (yield* outboundOf(strict)).map((c) => groupKey(c.host))
      expect(strictGroups.length).toBeGreaterThanOrEqual(4)
      expect(new Set(strictGroups).size).toBe(strictGroups.length)
      expect(strictGroups.filter((g) => g === groupKey("10.20.0.1"))).toHaveLength(1)
      expect((yield* outboundOf(loose)).length).toBe(8)
    })
  )

  it.scoped("sends feelers about once per 240 s on average once the target is met", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      // No traffic in this test: keep the idle close from dropping the configured peer.
      const quiet = { idleTimeout: undefined }
      const b = yield* startNode(network, "10.2.0.1", { ...passive, peerManager: { peerConfig: quiet } })
      const a = yield* startNode(network, "10.1.0.1", {
        discovery: { targetOutbound: 1 },
        peerManager: { peers: [{ host: b.host, port: PORT }], peerConfig: quiet }
      })
      // New-table addresses where nothing listens: every feeler is a quick refused dial.
      const now = yield* nowSeconds
      const unknown = Array.from({ length: 400 }, (_, i) => ({
        host: `10.${100 + Math.floor(i / 200)}.${i % 200}.1`,
        port: PORT,
        timestamp: now - 60
      }))
      yield* a.book.add(unknown, { host: "10.9.0.1", port: PORT }, 0)
      yield* advance("24000 seconds", "600 seconds")
      const { dials, feelers } = yield* a.discovery.stats
      // 24 000 s / (240 s + loop granularity ≈ 8 s) ≈ 97; Poisson σ ≈ 10.
      expect(feelers).toBeGreaterThanOrEqual(70)
      expect(feelers).toBeLessThanOrEqual(130)
      expect(dials).toBe(0)
      expect((yield* a.manager.connections).filter((c) => c.nodeType === NodeType.FULL_NODE)).toHaveLength(1)
    }).pipe(Effect.withRandom(Random.make(20250615))), 60_000
  )
})
