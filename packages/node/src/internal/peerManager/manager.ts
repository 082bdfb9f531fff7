/** The peer manager's implementation: listener and gate, dials, the connection fibers, hooks, events, bans. */
import { Deferred, Duration, Effect, Either, Fiber, FiberSet, Option, PubSub, Scope, Stream } from "effect"
import type { MessageName } from "@peerwire/codec/chia/Catalogue"
import { NodeType, nodeTypeName } from "@peerwire/codec/chia/MessageTypes"
import type { HandlerContext } from "@peerwire/peer/Peer"
import * as ChiaPeer from "@peerwire/peer/chia/ChiaPeer"
import type { PeerError } from "@peerwire/peer/PeerError"
import { type Address, Certificates, type Connection, type GateVerdict, type InboundRequest, Transport } from "@peerwire/transport"
import { BanList } from "../../BanList.js"
import type { ConnectionPurpose, NodeEvent } from "../../NodeEvents.js"
import {
  ConnectError,
  type ConnectedPeer,
  type NodeHandler,
  type PeerHook,
  type PeerManagerSettings,
  type PeerManagerShape
} from "../../PeerManager.js"
import { hostPort, isLoopback, normalizeHost } from "../hosts.js"
import { Registry } from "./registry.js"

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", ""])

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")

type AnyChiaHandler = (payload: unknown, context: HandlerContext) => Effect.Effect<unknown, PeerError>

export const makePeerManager = (settings: PeerManagerSettings) =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const bans = yield* BanList
    const scope = yield* Effect.scope
    const clock = yield* Effect.clock
    const fibers = yield* FiberSet.make<unknown, unknown>()
    const events = yield* PubSub.sliding<NodeEvent>(settings.eventBuffer)
    const registry = new Registry()
    const hooks: Array<PeerHook> = []
    const ownCertificateId = settings.tls === undefined
      ? undefined
      : toHex(Certificates.nodeId(yield* Effect.orDie(Certificates.certificateDer(settings.tls.identity.certificatePem))))
    let started = false
    let running = false
    let bound: Address | undefined
    yield* Effect.addFinalizer(() => Effect.sync(() => {
      running = false
    }))

    const dialOptions = { tls: settings.tls, openTimeout: settings.connectTimeout, maxFrameSize: settings.maxFrameSize }
    const publish = (event: NodeEvent) => PubSub.publish(events, event)
    const advertisedPort = (): number => settings.advertisedPort ?? bound?.port ?? 0
    const ownId = (): string =>
      ownCertificateId ?? `plain:${normalizeHost(bound?.host ?? settings.listen?.host ?? "")}:${advertisedPort()}`
    const nodeIdOf = (connection: Connection, serverPort: number): string =>
      Option.match(connection.peerId, {
        onNone: () => `plain:${normalizeHost(connection.remote.host)}:${serverPort}`,
        onSome: toHex
      })
    const isOwnCertificate = (connection: Connection): boolean =>
      ownCertificateId !== undefined && Option.getOrUndefined(Option.map(connection.peerId, toHex)) === ownCertificateId
    /** `is_localhost(host) and port == own port`, plus our own listen address on hosts with one address (memory). */
    const isSelfAddress = (host: string, port: number): boolean => {
      if (bound === undefined || port !== advertisedPort()) return false
      if (isLoopback(host)) return true
      const own = [bound.host, settings.listen?.host ?? ""].filter((h) => !WILDCARD_HOSTS.has(h)).map(normalizeHost)
      return own.includes(host)
    }

    const applyBan = (host: string, seconds: number, reason: string) =>
      seconds <= 0
        ? Effect.void
        : Effect.flatMap(bans.ban(host, seconds, reason), (banned) =>
          banned ? publish({ _tag: "Banned", host, seconds, reason }) : Effect.void)

    /** The handlers of every hook, bound to the registered connection once it exists. */
    const handlersFor = (ready: Deferred.Deferred<ConnectedPeer>): ChiaPeer.ChiaHandlers => {
      const merged = new Map<string, NodeHandler<MessageName>>()
      for (const hook of hooks) {
        for (const [name, handler] of Object.entries(hook.handlers ?? {})) {
          if (handler !== undefined) merged.set(name, handler as NodeHandler<MessageName>)
        }
      }
      const out: Record<string, AnyChiaHandler> = {}
      for (const [name, handler] of merged) {
        out[name] = (payload, context) =>
          Effect.flatMap(Deferred.await(ready), (peer) => handler(payload as never, peer, context))
      }
      return out as ChiaPeer.ChiaHandlers
    }

    const peerOptions = (host: string, ready: Deferred.Deferred<ConnectedPeer>): ChiaPeer.ChiaPeerOptions => ({
      networkId: settings.networkId,
      nodeType: settings.nodeType,
      serverPort: advertisedPort(),
      softwareVersion: settings.softwareVersion,
      rateLimitsV3: settings.rateLimitsV3,
      timeout: settings.handshakeTimeout,
      tls: settings.tls,
      // A node answers like the reference: a message it has no handler for closes the link with a 10 s ban.
      config: { unhandled: "reject", ...settings.peerConfig, exemptFromRateLimits: bans.isExempt(host) },
      handlers: handlersFor(ready)
    })

    /** `accept_inbound_connections`: why an inbound peer of this type is refused (only a full node applies caps). */
    const inboundRefusal = (nodeType: NodeType, host: string): string | undefined => {
      if (settings.nodeType !== NodeType.FULL_NODE) return undefined
      // Trusted networks bypass the caps (the reference's exempt_peer_networks); localhost does not.
      if (!isLoopback(host) && bans.isExempt(host)) return undefined
      const full = (count: number, max: number, what: string) =>
        count >= max ? `too many inbound ${what} (${max})` : undefined
      switch (nodeType) {
        case NodeType.FULL_NODE:
          return full(registry.countInbound(nodeType), settings.maxInboundFullNodes, "full nodes")
        case NodeType.WALLET:
          return full(registry.countInbound(nodeType), settings.maxInboundWallets, "wallets")
        case NodeType.FARMER:
          return full(registry.countInbound(nodeType), settings.maxInboundFarmers, "farmers")
        case NodeType.TIMELORD:
          return isLoopback(host) ? undefined : "timelords are accepted only from localhost"
        default:
          return `inbound ${nodeTypeName(nodeType) ?? nodeType} connections are not accepted`
      }
    }

    /** From a finished handshake to the end of the connection: checks, registration, hooks, events, ban verdict. */
    const serve = (
      peer: ChiaPeer.ChiaPeer,
      connection: Connection,
      purpose: ConnectionPurpose,
      ready: Deferred.Deferred<ConnectedPeer>,
      established: Deferred.Deferred<ConnectedPeer, ConnectError> | undefined
    ): Effect.Effect<void, ConnectError, Scope.Scope> =>
      Effect.gen(function*() {
        const info = peer.info
        const host = normalizeHost(connection.remote.host)
        const address = { host, port: connection.remote.port }
        const entry: ConnectedPeer = {
          peer,
          id: connection.id,
          nodeId: nodeIdOf(connection, info.serverPort),
          host,
          port: connection.remote.port,
          localPort: connection.local.port,
          serverPort: info.serverPort,
          nodeType: info.nodeType,
          direction: connection.direction,
          purpose,
          protocolVersion: info.protocolVersion,
          softwareVersion: info.softwareVersion,
          since: clock.unsafeCurrentTimeMillis()
        }
        const refuse = (reason: string) =>
          Effect.zipRight(
            publish({ _tag: "Refused", host, port: address.port, nodeType: info.nodeType, reason }),
            peer.close()
          )
        if (entry.nodeId === ownId()) {
          yield* refuse("connection to ourselves")
          return yield* new ConnectError({ reason: "Self", address, message: `${hostPort(host, address.port)} is us` })
        }
        if (purpose === "inbound") {
          const refusal = inboundRefusal(info.nodeType, host)
          if (refusal !== undefined) return yield* refuse(refusal)
        }
        if (purpose === "feeler") {
          if (established !== undefined) yield* Deferred.succeed(established, entry)
          return yield* peer.close()
        }
        // Both sides dialed each other at once: keep the connection dialed by the lower node id, which both ends
        // agree on (the reference replaces unconditionally, and then both ends close the same pair of links).
        const existing = registry.get(entry.nodeId)
        if (existing !== undefined && existing.direction !== entry.direction) {
          const keepOutbound = ownId() < entry.nodeId
          if ((entry.direction === "outbound") !== keepOutbound) {
            yield* refuse("duplicate connection (crossed dials)")
            return yield* new ConnectError({ reason: "Duplicate", address, message: `already connected to ${entry.nodeId}` })
          }
        }
        const previous = registry.add(entry)
        if (previous !== undefined) yield* previous.peer.close()
        yield* Deferred.succeed(ready, entry)
        if (established !== undefined) yield* Deferred.succeed(established, entry)
        const { peer: _, ...connectionInfo } = entry
        yield* publish({ _tag: "Connected", connection: connectionInfo })
        for (const hook of hooks.slice()) {
          if (hook.onConnect !== undefined) yield* Effect.forkScoped(hook.onConnect(entry))
        }
        const closed = yield* peer.closed.pipe(
          Effect.ensuring(Effect.sync(() => registry.remove(entry)))
        )
        yield* publish({
          _tag: "Disconnected",
          connection: connectionInfo,
          initiator: closed.initiator,
          code: closed.code,
          reason: closed.reason
        })
        const why = Option.match(closed.error, { onNone: () => closed.reason, onSome: (e) => e.message })
        yield* applyBan(host, closed.banSeconds, why)
      })

    const outbound = (
      address: Address,
      purpose: ConnectionPurpose,
      established: Deferred.Deferred<ConnectedPeer, ConnectError>
    ) => {
      const host = normalizeHost(address.host)
      const where = hostPort(host, address.port)
      const failed = (message: string, cause: unknown) => new ConnectError({ reason: "Failed", address, message, cause })
      const body = Effect.gen(function*() {
        const ready = yield* Deferred.make<ConnectedPeer>()
        const connection = yield* transport.dial(address, dialOptions).pipe(
          Effect.mapError((e) => failed(`cannot connect to ${where}: ${e.message}`, e))
        )
        if (isOwnCertificate(connection)) {
          yield* connection.close(1000, "")
          return yield* new ConnectError({ reason: "Self", address, message: `${where} has our node id` })
        }
        const peer = yield* ChiaPeer.fromConnection(connection, "dialer", peerOptions(host, ready)).pipe(
          Effect.tapError((e) => applyBan(host, e.banSeconds, e.message)),
          Effect.mapError((e) => failed(`handshake with ${where} failed: ${e.message}`, e))
        )
        registry.endDial(host, address.port)
        yield* serve(peer, connection, purpose, ready, established)
      })
      return Effect.scoped(body).pipe(
        Effect.ensuring(Effect.sync(() => registry.endDial(host, address.port))),
        Effect.either,
        Effect.flatMap((result) =>
          Deferred.fail(
            established,
            Either.isLeft(result)
              ? result.left
              : new ConnectError({ reason: "Failed", address, message: `connection to ${where} ended` })
          )
        )
      )
    }

    const connect = (address: Address, purpose: ConnectionPurpose = "manual") =>
      Effect.gen(function*() {
        const host = normalizeHost(address.host)
        const where = hostPort(host, address.port)
        if (!running) return yield* new ConnectError({ reason: "NotRunning", address, message: "peer manager not running" })
        if (isSelfAddress(host, address.port)) {
          return yield* new ConnectError({ reason: "Self", address, message: `${where} is our own address` })
        }
        if (registry.isConnectedTo(host, address.port)) {
          return yield* new ConnectError({ reason: "Duplicate", address, message: `already connected to ${where}` })
        }
        if (yield* bans.isBanned(host)) {
          return yield* new ConnectError({ reason: "Banned", address, message: `${host} is banned` })
        }
        registry.beginDial(host, address.port)
        const established = yield* Deferred.make<ConnectedPeer, ConnectError>()
        const fiber = yield* FiberSet.run(fibers, outbound({ host, port: address.port }, purpose, established))
        const stopped = Fiber.await(fiber).pipe(
          Effect.zipRight(Deferred.poll(established)),
          Effect.flatMap(Option.match({
            onNone: () => new ConnectError({ reason: "NotRunning", address, message: "peer manager stopped" }),
            onSome: (done) => done
          }))
        )
        return yield* Effect.raceFirst(Deferred.await(established), stopped)
      })

    const inbound = (connection: Connection) =>
      Effect.scoped(Effect.gen(function*() {
        const host = normalizeHost(connection.remote.host)
        if (isOwnCertificate(connection)) {
          yield* publish({ _tag: "Refused", host, port: connection.remote.port, nodeType: undefined, reason: "self" })
          return yield* connection.close(1000, "")
        }
        const ready = yield* Deferred.make<ConnectedPeer>()
        const peer = yield* ChiaPeer.fromConnection(connection, "listener", peerOptions(host, ready)).pipe(
          Effect.tapError((e) => applyBan(host, e.banSeconds, e.message)),
          Effect.option
        )
        if (Option.isSome(peer)) yield* Effect.ignore(serve(peer.value, connection, "inbound", ready, undefined))
      })).pipe(Effect.ensuring(Effect.sync(() => {
        registry.inboundOpen--
      })))

    const gate = (request: InboundRequest): Effect.Effect<GateVerdict> =>
      Effect.gen(function*() {
        const host = normalizeHost(request.remote.host)
        if (yield* bans.isBanned(host)) return { _tag: "Reject", status: 403, reason: `Peer ${host} is banned` } as const
        if (registry.inboundOpen >= settings.maxInboundConnections) {
          return { _tag: "Reject", status: 503, reason: "too many connections" } as const
        }
        return { _tag: "Accept" } as const
      })

    const keepConnected = (address: Address) =>
      Effect.gen(function*() {
        const base = Duration.toMillis(settings.reconnectBase)
        const max = Duration.toMillis(settings.reconnectMax)
        let delay = base
        while (running) {
          const result = yield* Effect.either(connect(address, "configured"))
          if (Either.isRight(result)) {
            delay = base
            yield* result.right.peer.closed
          } else if (result.left.reason === "NotRunning" || result.left.reason === "Self") {
            return
          }
          yield* Effect.sleep(Duration.millis(delay))
          delay = Math.min(delay * 2, max)
        }
      })

    const start = Effect.suspend(() => {
      if (started) return Effect.succeed(Option.fromNullable(bound))
      started = true
      return Effect.gen(function*() {
        const listen = settings.listen
        if (listen !== undefined) {
          const listener = yield* transport.listen({
            host: listen.host,
            port: listen.port,
            tls: settings.tls,
            gate,
            openTimeout: settings.connectTimeout,
            maxFrameSize: settings.maxFrameSize
          }).pipe(Scope.extend(scope))
          bound = listener.address
          yield* listener.connections.pipe(
            Stream.runForEach((connection) =>
              Effect.zipRight(
                Effect.sync(() => {
                  registry.inboundOpen++
                }),
                FiberSet.run(fibers, inbound(connection))
              )
            ),
            Effect.forkIn(scope)
          )
        }
        running = true
        for (const address of settings.peers) yield* FiberSet.run(fibers, keepConnected(address))
        return Option.fromNullable(bound)
      }).pipe(Effect.tapError(() => Effect.sync(() => {
        started = false
      })))
    })

    const probe = (address: Address): Effect.Effect<boolean> =>
      Effect.scoped(Effect.gen(function*() {
        const connection = yield* transport.dial(address, dialOptions)
        const ready = yield* Deferred.make<ConnectedPeer>()
        const peer = yield* ChiaPeer.fromConnection(connection, "dialer", { ...peerOptions(address.host, ready), handlers: {} })
        yield* peer.close()
        return true
      })).pipe(
        Effect.timeout(settings.probeTimeout),
        Effect.catchAll(() => Effect.succeed(false))
      )

    const service: PeerManagerShape = {
      nodeId: Effect.sync(ownId),
      start,
      listenAddress: Effect.sync(() => Option.fromNullable(bound)),
      connections: Effect.sync(() => registry.all().map(({ peer: _, ...info }) => info)),
      peers: Effect.sync(() => registry.all()),
      connect,
      probe,
      isConnectedTo: (address) => Effect.sync(() => registry.isConnectedTo(address.host, address.port)),
      disconnect: (nodeId) =>
        Effect.suspend(() => {
          const entry = registry.get(nodeId)
          return entry === undefined ? Effect.succeed(false) : Effect.as(entry.peer.close(), true)
        }),
      addHook: (hook) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            hooks.push(hook)
          }),
          () =>
            Effect.sync(() => {
              const index = hooks.indexOf(hook)
              if (index >= 0) hooks.splice(index, 1)
            })
        ),
      subscribe: PubSub.subscribe(events),
      events: Stream.fromPubSub(events),
      settings
    }
    return service
  })
