/** Discovery's per-connection behaviour (on-connect, gossip in and out) and its bootstrap queries; the loop is in loop.ts. */
import { Clock, Effect, Either, Schedule } from "effect"
import { randomBytes } from "node:crypto"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import { AddressBook, type TimestampedAddress } from "../../AddressBook.js"
import type { DiscoverySettings, DiscoveryShape, DiscoveryStats } from "../../Discovery.js"
import { DnsResolver } from "../../DnsResolver.js"
import { type ConnectedPeer, PeerManager } from "../../PeerManager.js"
import {
  GOSSIP_PENALTY_SECONDS,
  MAX_PEERS_RECEIVED_PER_REQUEST,
  ReceivedCounter,
  RELAY_FRESHNESS_SECONDS,
  RELAY_GOSSIP_FANOUT,
  RELAY_INBOUND_FANOUT,
  relayOrder,
  sanitize,
  type WireAddress
} from "./gossip.js"
import { runLoop } from "./loop.js"

/** `_periodically_cleanup`: every 1800 s, with ≥ 3 connections, drop new-table entries 14 days old with ≥ 10 failures. */
const CLEANUP_INTERVAL = "1800 seconds" as const
const CLEANUP_MAX_AGE_SECONDS = 14 * 24 * 60 * 60
const CLEANUP_MAX_FAILURES = 10
const CLEANUP_MIN_CONNECTIONS = 3

/** An outbound full-node link refreshes its address's timestamp at most this often (`address_manager.connect`). */
const CONNECTED_REFRESH = "600 seconds" as const

const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))

export type MutableStats = { -readonly [K in keyof DiscoveryStats]: DiscoveryStats[K] }

export const makeDiscovery = (settings: DiscoverySettings) =>
  Effect.gen(function*() {
    const manager = yield* PeerManager
    const book = yield* AddressBook
    const dns = yield* DnsResolver
    const received = new ReceivedCounter()
    const secret = Uint8Array.from(randomBytes(32))
    /** Hosts each neighbour (by node id) is known to have, so we do not relay them back. */
    const known = new Map<string, Set<string>>()
    const stats: MutableStats = {
      dials: 0,
      feelers: 0,
      introducerQueries: 0,
      dnsQueries: 0,
      addressesReceived: 0,
      messagesIgnored: 0
    }
    const knows = (nodeId: string, host: string) => {
      let set = known.get(nodeId)
      if (set === undefined) known.set(nodeId, set = new Set())
      set.add(host)
    }

    const relay = (address: TimestampedAddress, fanout: number, except: string) =>
      Effect.gen(function*() {
        const now = yield* nowSeconds
        const neighbours = (yield* manager.peers).filter((p) =>
          p.nodeType === NodeType.FULL_NODE && p.nodeId !== except && p.purpose !== "feeler"
        )
        let sent = 0
        for (const neighbour of relayOrder(secret, neighbours, now)) {
          if (sent >= fanout) break
          if (known.get(neighbour.nodeId)?.has(address.host)) continue
          knows(neighbour.nodeId, address.host)
          const entry = { host: address.host, port: address.port, timestamp: BigInt(address.timestamp) }
          yield* Effect.ignore(neighbour.peer.send("respond_peers", { peer_list: [entry] }))
          sent++
        }
      })

    const receivePeers = (peers: ReadonlyArray<WireAddress>, source: ConnectedPeer) =>
      Effect.gen(function*() {
        const now = yield* nowSeconds
        if (peers.length > MAX_PEERS_RECEIVED_PER_REQUEST || !received.admit(source.host, peers.length, now)) {
          stats.messagesIgnored++
          return 0
        }
        const usable = sanitize(peers, now)
        for (const a of usable) knows(source.nodeId, a.host)
        yield* book.add(usable, { host: source.host, port: source.serverPort }, GOSSIP_PENALTY_SECONDS)
        stats.addressesReceived += usable.length
        const single = usable.length === 1 ? usable[0] : undefined
        if (single !== undefined && single.timestamp > now - RELAY_FRESHNESS_SECONDS) {
          yield* relay(single, RELAY_GOSSIP_FANOUT, source.nodeId)
        }
        return usable.length
      })

    const onConnect = (peer: ConnectedPeer) =>
      Effect.gen(function*() {
        if (peer.nodeType !== NodeType.FULL_NODE) return
        yield* Effect.addFinalizer(() => Effect.sync(() => known.delete(peer.nodeId)))
        const address = { host: peer.host, port: peer.serverPort }
        if (peer.direction === "outbound") {
          // As the reference: a plain message (no id); the answer arrives as `respond_peers` through the handler.
          const ask = Effect.ignore(peer.peer.send("request_peers", {}))
          yield* ask
          if (settings.requestPeersInterval !== undefined) {
            yield* ask.pipe(Effect.repeat(Schedule.spaced(settings.requestPeersInterval)), Effect.delay(settings.requestPeersInterval), Effect.forkScoped)
          }
          yield* book.connected(address).pipe(Effect.repeat(Schedule.spaced(CONNECTED_REFRESH)), Effect.forkScoped)
        } else if (peer.serverPort !== 0) {
          const now = yield* nowSeconds
          const entry = { ...address, timestamp: now }
          knows(peer.nodeId, peer.host)
          yield* book.add([entry], address, 0)
          yield* relay(entry, RELAY_INBOUND_FANOUT, peer.nodeId)
        }
      })

    const addBootstrap = (addresses: ReadonlyArray<WireAddress>) =>
      Effect.gen(function*() {
        const usable = sanitize(addresses, yield* nowSeconds).map((a) => ({ ...a, timestamp: 0 }))
        yield* book.add(usable, undefined, 0)
        stats.addressesReceived += usable.length
        return usable.length
      })

    const queryIntroducer = Effect.gen(function*() {
      const introducer = settings.introducer
      if (introducer === undefined) return 0
      stats.introducerQueries++
      const connected = yield* Effect.either(manager.connect(introducer, "introducer"))
      if (Either.isLeft(connected)) {
        yield* Effect.logDebug(`introducer: ${connected.left.message}`)
        return 0
      }
      const reply = yield* connected.right.peer.request("request_peers_introducer", {}, {
        timeout: settings.introducerTimeout
      }).pipe(Effect.either)
      // The reference closes the introducer link as soon as the answer is in.
      yield* connected.right.peer.close()
      if (Either.isLeft(reply)) return 0
      return yield* addBootstrap(reply.right.payload.peer_list)
    })

    const queryDns = (name: string) =>
      Effect.gen(function*() {
        stats.dnsQueries++
        const found = yield* Effect.either(dns.resolve(name))
        if (Either.isLeft(found)) {
          yield* Effect.logDebug(`dns: ${found.left.message}`)
          return 0
        }
        return yield* addBootstrap(found.right.map((host) => ({ host, port: settings.defaultPort, timestamp: 0n })))
      })

    yield* manager.addHook({
      name: "Discovery",
      handlers: {
        respond_peers: ({ peer_list }, peer) => Effect.asVoid(receivePeers(peer_list, peer))
      },
      onConnect
    })

    const service: DiscoveryShape = {
      receivePeers,
      queryIntroducer,
      queryDns,
      stats: Effect.sync(() => ({ ...stats }))
    }
    yield* Effect.gen(function*() {
      if ((yield* manager.peers).length >= CLEANUP_MIN_CONNECTIONS) {
        yield* book.cleanup(CLEANUP_MAX_AGE_SECONDS, CLEANUP_MAX_FAILURES)
      }
    }).pipe(Effect.delay(CLEANUP_INTERVAL), Effect.forever, Effect.forkScoped)
    if (settings.dial) {
      yield* Effect.forkScoped(runLoop({ settings, manager, book, stats, queryIntroducer, queryDns }))
    }
    return service
  })
