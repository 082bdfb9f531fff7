/** Shared helpers of the node's network tests: nodes on the in-memory transport, driven by the TestClock. */
import { Context, Duration, Effect, Layer, Option, TestClock } from "effect"
import type { Scope } from "effect"
import type { MemoryNetworkShape } from "@peerwire/transport/MemoryTransport"
import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
import * as AddressBook from "../src/AddressBook.js"
import * as BanList from "../src/BanList.js"
import * as Discovery from "../src/Discovery.js"
import * as DnsResolver from "../src/DnsResolver.js"
import * as Introducer from "../src/Introducer.js"
import * as Node from "../src/Node.js"
import * as PeerManager from "../src/PeerManager.js"

export const PORT = 8444
/** A realistic start time (2025-06-15) so that address timestamps look like the network's. */
export const EPOCH_MILLIS = 1_750_000_000_000
export const epochSeconds = (extraMillis = 0) => Math.floor((EPOCH_MILLIS + extraMillis) / 1000)

export interface TestNode {
  readonly host: string
  readonly manager: PeerManager.PeerManagerShape
  readonly book: AddressBook.AddressBookShape
  readonly bans: BanList.BanListShape
  readonly discovery: Discovery.DiscoveryShape
}

/** A full node at `host:8444` on `network`, private addresses allowed, no DNS. Lives as long as the Scope. */
export const startNode = (
  network: MemoryNetworkShape,
  host: string,
  options: Node.NodeOptions = {}
): Effect.Effect<TestNode, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      Node.layer({
        ...options,
        peerManager: { networkId: "testnet-mem", listen: { host, port: PORT }, ...options.peerManager },
        addressBook: { allowPrivate: true, ...options.addressBook },
        dnsLayer: options.dnsLayer ?? DnsResolver.layerRecords({})
      }).pipe(Layer.provide(MemoryTransport.layer(network, { host })))
    )
    return {
      host,
      manager: Context.get(context, PeerManager.PeerManager),
      book: Context.get(context, AddressBook.AddressBook),
      bans: Context.get(context, BanList.BanList),
      discovery: Context.get(context, Discovery.Discovery)
    }
  })

export interface TestIntroducer {
  readonly host: string
  readonly manager: PeerManager.PeerManagerShape
  readonly introducer: Introducer.IntroducerShape
}

export const startIntroducer = (
  network: MemoryNetworkShape,
  host: string,
  options: Node.IntroducerNodeOptions = {}
): Effect.Effect<TestIntroducer, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      Node.introducerLayer({
        ...options,
        peerManager: { networkId: "testnet-mem", listen: { host, port: PORT }, ...options.peerManager },
        dnsLayer: DnsResolver.layerRecords({})
      }).pipe(Layer.provide(MemoryTransport.layer(network, { host })))
    )
    return {
      host,
      manager: Context.get(context, PeerManager.PeerManager),
      introducer: Context.get(context, Introducer.Introducer)
    }
  })

/** Advances the TestClock in small steps so that every hop of every exchange runs between two steps. */
export const advance = (total: Duration.DurationInput, step: Duration.DurationInput = "1 second") =>
  Effect.gen(function*() {
    const steps = Math.ceil(Duration.toMillis(total) / Duration.toMillis(step))
    for (let i = 0; i < steps; i++) {
      yield* TestClock.adjust(step)
      yield* Effect.yieldNow()
    }
  })

/** Advances until `done` holds (checked after each step), at most `limit`; yields the time it took. */
export const advanceUntil = (
  done: Effect.Effect<boolean>,
  limit: Duration.DurationInput,
  step: Duration.DurationInput = "1 second"
) =>
  Effect.gen(function*() {
    const steps = Math.ceil(Duration.toMillis(limit) / Duration.toMillis(step))
    for (let i = 0; i <= steps; i++) {
      if (yield* done) return Option.some(Duration.times(Duration.decode(step), i))
      yield* TestClock.adjust(step)
      yield* Effect.yieldNow()
    }
    return Option.none<Duration.Duration>()
  })

/** Lets pending fibers run without moving the clock. */
export const settle = Effect.gen(function*() {
  for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
})
