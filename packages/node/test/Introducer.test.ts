import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
import { advance, EPOCH_MILLIS, PORT, settle, startIntroducer, startNode } from "./NetworkSupport.js"

const passive = { discovery: { dial: false } } as const

describe("Introducer", () => {
  it.scoped("registers inbound full nodes, vets them, answers with vetted ones (timestamp 0, requester left out)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      const intro = yield* startIntroducer(network, "10.200.0.1")
      const nodes = []
      for (const host of ["10.1.0.1", "10.2.0.1", "10.3.0.1", "10.4.0.1"]) {
        const node = yield* startNode(network, host, passive)
        const link = yield* node.manager.connect({ host: intro.host, port: PORT }, "introducer")
        // Nothing is vetted yet: the answer is empty.
        const first = yield* link.peer.request("request_peers_introducer", {})
        expect(first.payload.peer_list).toEqual([])
        yield* link.peer.close()
        nodes.push(node)
      }
      // A full node without a listener announces port 0: not registered.
      const silent = yield* startNode(network, "10.5.0.1", { ...passive, peerManager: { listen: undefined } })
      yield* Effect.either(silent.manager.connect({ host: intro.host, port: PORT }))
      yield* settle
      expect((yield* intro.introducer.peers).map((p) => `${p.host}:${p.port}`).sort()).toEqual(
        ["10.1.0.1:8444", "10.2.0.1:8444", "10.3.0.1:8444", "10.4.0.1:8444"]
      )
      // 10.4.0.1 goes away before vetting.
      yield* network.refuse("10.4.0.1")
      yield* advance("61 seconds", "61 seconds")
      const vetted = yield* intro.introducer.peers
      expect(vetted.filter((p) => p.vetted > 0).map((p) => p.host).sort()).toEqual(["10.1.0.1", "10.2.0.1", "10.3.0.1"])
      expect(vetted.find((p) => p.host === "10.4.0.1")!.vetted).toBe(-1)
      // Vetting left no connection behind (the nodes refuse an introducer after its handshake, no ban).
      expect(yield* nodes[0]!.manager.connections).toEqual([])
      expect(yield* nodes[0]!.bans.list).toEqual([])
      const link = yield* nodes[0]!.manager.connect({ host: intro.host, port: PORT }, "introducer")
      const answer = yield* link.peer.request("request_peers_introducer", {})
      expect(answer.payload.peer_list.map((p) => [p.host, p.port, p.timestamp]).sort()).toEqual([
        ["10.2.0.1", PORT, 0n],
        ["10.3.0.1", PORT, 0n]
      ])
      // After recent_peer_threshold (6000 s) since registration, nobody is served.
      yield* link.peer.close()
      yield* advance("6000 seconds", "600 seconds")
      const again = yield* nodes[1]!.manager.connect({ host: intro.host, port: PORT }, "introducer")
      const late = yield* again.peer.request("request_peers_introducer", {}).pipe(Effect.either)
      expect(Either.isRight(late) && late.right.payload.peer_list).toEqual([])
    })
  )

  it.scoped("a node's discovery asks the introducer, adds the answer with timestamp 0 and closes the link", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(EPOCH_MILLIS)
      const network = yield* MemoryTransport.makeNetwork()
      const intro = yield* startIntroducer(network, "10.200.0.1")
      for (const host of ["10.1.0.1", "10.2.0.1"]) {
        const node = yield* startNode(network, host, passive)
        yield* node.manager.connect({ host: intro.host, port: PORT }, "introducer")
      }
      yield* advance("61 seconds", "61 seconds")
      const a = yield* startNode(network, "10.3.0.1", {
        discovery: { introducer: { host: intro.host, port: PORT }, targetOutbound: 0, feelerInterval: false }
      })
      yield* advance("2 seconds", "1 second")
      expect((yield* a.discovery.stats).introducerQueries).toBe(1)
      const entries = yield* a.book.entries
      expect(entries.map((e) => [e.address.host, e.timestamp]).sort()).toEqual([["10.1.0.1", 0], ["10.2.0.1", 0]])
      expect((yield* a.manager.connections).filter((c) => c.purpose === "introducer")).toEqual([])
    })
  )
})
