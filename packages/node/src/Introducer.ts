/**
 * Introducer mode (`chia/introducer/*`): every accepted inbound full node is registered (socket IP and the server port
 * from its handshake; port 0 refused), a vetting loop checks every 60 s that registered nodes accept connections, and
 * `request_peers_introducer` is answered with up to 20 recently registered, vetted nodes (timestamp 0, the requester
 * left out), topped up from a DNS seeder when short.
 *
 * Vetting: the reference opens a plain TCP connection; we dial through the transport and complete the Chia handshake as
 * an introducer, then close with 1000 — a reference node refuses inbound introducers after the handshake without a ban,
 * so this proves reachability end to end and leaves no trace.
 */
import type { Scope } from "effect"
import { Clock, Context, Duration, Effect, Either, Layer, Random, Schedule } from "effect"
import type { TimestampedPeerInfo } from "@peerwire/codec/chia/types/peers"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import { DnsResolver } from "./DnsResolver.js"
import { IntroducerPeers, type VettedPeer } from "./internal/introducer/peers.js"
import { type ConnectedPeer, PeerManager } from "./PeerManager.js"

export type { VettedPeer }

/** `max_peers_to_send`. */
export const DEFAULT_MAX_PEERS_TO_SEND = 20
/** `recent_peer_threshold`: a node is served for this long after it was first registered. */
export const DEFAULT_RECENT_PEER_THRESHOLD = "6000 seconds" as const
export const DEFAULT_VETTING_INTERVAL = "60 seconds" as const
/** Nodes vetted per round. */
export const VETTING_BATCH = 100
/** A node vetted successfully this recently is not vetted again. */
export const REVET_AFTER_SECONDS = 3600
/** A node is not vetted twice within this. */
export const MIN_VETTING_RETRY_SECONDS = 500
/** Candidates sampled per answer: `max_peers_to_send × 5`. */
export const SAMPLE_FACTOR = 5
const VETTING_CONCURRENCY = 10

export interface IntroducerOptions {
  readonly maxPeersToSend?: number | undefined
  readonly recentPeerThreshold?: Duration.DurationInput | undefined
  readonly vettingInterval?: Duration.DurationInput | undefined
  /** DNS seeders to top answers up from; their addresses get `defaultPort`. */
  readonly dnsServers?: ReadonlyArray<string> | undefined
  readonly defaultPort?: number | undefined
}

export interface IntroducerShape {
  readonly peers: Effect.Effect<ReadonlyArray<VettedPeer>>
  /** One vetting round now (the loop runs them every `vettingInterval`). */
  readonly vet: Effect.Effect<void>
  /** The answer to `request_peers_introducer` from `requester`. */
  readonly answer: (requester: ConnectedPeer) => Effect.Effect<ReadonlyArray<TimestampedPeerInfo>>
}

export class Introducer extends Context.Tag("@peerwire/node/Introducer")<Introducer, IntroducerShape>() {}

const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))

const sample = <A>(items: ReadonlyArray<A>, n: number): Effect.Effect<Array<A>> =>
  Effect.gen(function*() {
    const out = [...items]
    for (let i = 0; i < Math.min(n, out.length); i++) {
      const j = yield* Random.nextIntBetween(i, out.length)
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out.slice(0, n)
  })

export const make = (
  options: IntroducerOptions = {}
): Effect.Effect<IntroducerShape, never, PeerManager | DnsResolver | Scope.Scope> =>
  Effect.gen(function*() {
    const manager = yield* PeerManager
    const dns = yield* DnsResolver
    const registry = new IntroducerPeers()
    const maxPeers = options.maxPeersToSend ?? DEFAULT_MAX_PEERS_TO_SEND
    const threshold = Duration.toSeconds(options.recentPeerThreshold ?? DEFAULT_RECENT_PEER_THRESHOLD)
    const dnsServers = options.dnsServers ?? []

    const vet = Effect.gen(function*() {
      const now = yield* nowSeconds
      const recent = registry.all().filter((p) => now - p.timeAdded <= 3 * threshold)
      const batch = (yield* sample(recent, VETTING_BATCH)).filter((p) =>
        !(p.vetted > 0 && now - p.lastSuccess <= REVET_AFTER_SECONDS) && now - p.lastAttempt >= MIN_VETTING_RETRY_SECONDS
      )
      yield* Effect.forEach(batch, (peer) =>
        Effect.flatMap(manager.probe({ host: peer.host, port: peer.port }), (ok) =>
          Effect.map(nowSeconds, (at) => registry.recordVetting(peer, ok, at))), { concurrency: VETTING_CONCURRENCY })
    })

    const answer = (requester: ConnectedPeer) =>
      Effect.gen(function*() {
        const now = yield* nowSeconds
        const recent = registry.all().filter((p) => now - p.timeAdded <= threshold)
        const candidates = yield* sample(recent, maxPeers * SAMPLE_FACTOR)
        const out: Array<TimestampedPeerInfo> = []
        for (const p of candidates) {
          if (out.length >= maxPeers) break
          if (p.vetted <= 0 || (p.host === requester.host && p.port === requester.serverPort)) continue
          out.push({ host: p.host, port: p.port, timestamp: 0n })
        }
        if (out.length < maxPeers && dnsServers.length > 0) {
          const server = dnsServers[yield* Random.nextIntBetween(0, dnsServers.length)]!
          const found = yield* Effect.either(dns.resolve(server))
          if (Either.isRight(found)) {
            for (const host of found.right) {
              if (out.length >= maxPeers) break
              out.push({ host, port: options.defaultPort ?? 8444, timestamp: 0n })
            }
          }
        }
        return out
      })

    yield* manager.addHook({
      name: "Introducer",
      handlers: {
        request_peers_introducer: (_request, peer) =>
          Effect.map(answer(peer), (peer_list) => ({ name: "respond_peers_introducer" as const, payload: { peer_list } }))
      },
      onConnect: (peer) =>
        peer.direction === "inbound" && peer.nodeType === NodeType.FULL_NODE
          ? Effect.flatMap(nowSeconds, (now) => Effect.sync(() => registry.add({ host: peer.host, port: peer.serverPort }, now)))
          : Effect.void
    })
    yield* vet.pipe(
      Effect.delay(options.vettingInterval ?? DEFAULT_VETTING_INTERVAL),
      Effect.repeat(Schedule.spaced(options.vettingInterval ?? DEFAULT_VETTING_INTERVAL)),
      Effect.forkScoped
    )
    return { peers: Effect.sync(() => registry.all()), vet, answer }
  })

export const layer = (options: IntroducerOptions = {}): Layer.Layer<Introducer, never, PeerManager | DnsResolver> =>
  Layer.scoped(Introducer, make(options))
