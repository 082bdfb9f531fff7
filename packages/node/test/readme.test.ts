/**
 * The README's usage snippets, compiled (by `tsc -p tsconfig.test.json`) and run, so the front door cannot drift from
 * the code.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, TestClock } from "effect"
import type { Chia } from "@peerwire/codec"
import { AddressBook, BanList, Chain, Discovery, DnsResolver, Node, PeerManager } from "@peerwire/node"
import { Certificates, MemoryTransport, type TlsSettings } from "@peerwire/transport"

describe("README snippets", () => {
  it.scoped("a node on the in-memory transport, with its own Chain and a fake DNS", () =>
    Effect.gen(function* () {
      const myBlocks: ReadonlyArray<Chia.Types.FullBlock> = []
      const network = yield* MemoryTransport.makeNetwork({ seed: 7 })
      const context = yield* Layer.build(
        Node.layer({
          peerManager: { networkId: "testnet-mem", listen: { host: "10.0.0.1", port: 8444 } },
          addressBook: { allowPrivate: true },
          dnsLayer: DnsResolver.layerRecords({}),
          chainLayer: Chain.layer(Chain.fromBlocks(myBlocks))
        }).pipe(Layer.provide(MemoryTransport.layer(network, { host: "10.0.0.1" })))
      )
      const manager = Context.get(context, PeerManager.PeerManager)
      yield* TestClock.adjust("1 minute")
      expect(Option.isSome(yield* manager.listenAddress)).toBe(true)
    })
  )

  it.scoped("a crawler composition builds (no listener, no API)", () =>
    Effect.gen(function* () {
      const ca = yield* Certificates.generateCa()
      const tls: TlsSettings = { identity: yield* Certificates.generateNodeCertificate(ca), verify: { _tag: "AcceptAny" } }
      const network = yield* MemoryTransport.makeNetwork({ seed: 1 })
      const crawler = Node.started.pipe(
        Layer.provideMerge(Discovery.layer({ targetOutbound: 50, feelerInterval: false, requestPeersInterval: "5 minutes" })),
        Layer.provideMerge(PeerManager.layer({ networkId: "mainnet", tls })),
        Layer.provideMerge(Layer.mergeAll(AddressBook.layer(), BanList.layer(), DnsResolver.layerRecords({}))),
        Layer.provide(MemoryTransport.layer(network, { host: "10.0.0.2" }))
      )
      const context = yield* Layer.build(crawler)
      const manager = Context.get(context, PeerManager.PeerManager)
      expect(Option.isNone(yield* manager.listenAddress)).toBe(true)
    })
  )

  it.effect("fault injection calls from the README", () =>
    Effect.gen(function* () {
      const network = yield* MemoryTransport.makeNetwork({ seed: 7 })
      network.transport({ host: "10.0.0.1" })
      yield* network.setLinkFaults("10.0.0.1", "10.0.0.2", { latency: "40 millis", jitter: "10 millis", bandwidth: 1_000_000 })
      yield* network.setLinkFaults("10.0.0.1", "10.0.0.3", { dropAfterFrames: 10 })
      yield* network.partition(["10.0.0.1"], ["10.0.0.2"])
      yield* network.heal()
      yield* network.refuse("10.0.0.9")
    })
  )
})
