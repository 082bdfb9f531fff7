/** `dial` and `listen` of the in-memory transport: address lookup, simulated TLS, the gate, and pairing the ends. */
import { Duration, Effect, Either, ExecutionStrategy, Option, Queue, Scope, Stream } from "effect"
import { certificateDer, checkIdentity, nodeId, verifyChain } from "../Certificates.js"
import type {
  Address,
  Connection,
  DialOptions,
  GateVerdict,
  ListenOptions,
  Listener,
  TlsSettings,
  TransportShape
} from "../Transport.js"
import {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_OPEN_TIMEOUT,
  TransportError
} from "../Transport.js"
import { addressKey } from "./memoryFaults.js"
import { CLOSE_GOING_AWAY, CLOSE_NORMAL, MemoryLink } from "./memoryLink.js"
import type { ListenerEntry, NetworkState, OwnTls } from "./memoryNetwork.js"

const error = (reason: TransportError["reason"], message: string, cause?: unknown) =>
  new TransportError(cause === undefined ? { reason, message } : { reason, message, cause })

/** Hosts that mean "every address of this machine". */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", ""])

const ACCEPT_ALL: ListenOptions["gate"] = () => Effect.succeed<GateVerdict>({ _tag: "Accept" })

interface Limits {
  readonly maxFrameSize: number
  readonly highWaterMark: number
  readonly openTimeout: Duration.Duration
}

const checkLimits = (
  options: Pick<DialOptions, "maxFrameSize" | "highWaterMark" | "openTimeout">
): Effect.Effect<Limits, TransportError> => {
  const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK
  const openTimeout = Duration.decodeUnknown(options.openTimeout ?? DEFAULT_OPEN_TIMEOUT)
  if (!Number.isSafeInteger(maxFrameSize) || maxFrameSize < 0) {
    return Effect.fail(error("InvalidOptions", `maxFrameSize must be a non-negative integer, got ${maxFrameSize}`))
  }
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark <= 0) {
    return Effect.fail(error("InvalidOptions", `highWaterMark must be a positive integer, got ${highWaterMark}`))
  }
  if (Option.isNone(openTimeout)) {
    return Effect.fail(error("InvalidOptions", `openTimeout is not a duration: ${String(options.openTimeout)}`))
  }
  return Effect.succeed({ maxFrameSize, highWaterMark, openTimeout: openTimeout.value })
}

const sleepMillis = (millis: number) => (millis > 0 ? Effect.sleep(Duration.millis(Math.ceil(millis))) : Effect.void)

/** A transport of one memory host on `net`. `identities` caches checked TLS identities (certificate and key PEM). */
export const makeTransport = (net: NetworkState, host: string): TransportShape => {
  const identities = new Map<string, Uint8Array>()

  const ownTls = (settings: TlsSettings | undefined): Effect.Effect<OwnTls | undefined, TransportError> => {
    if (settings === undefined) return Effect.succeed(undefined)
    return Effect.gen(function*() {
      if (settings.verify._tag === "RequireCa" && settings.verify.caPem.length === 0) {
        return yield* error("InvalidOptions", "tls.verify RequireCa needs at least one CA certificate")
      }
      const pem = settings.identity.certificatePem
      const cacheKey = `${pem}\n${settings.identity.privateKeyPem}`
      let der = identities.get(cacheKey)
      if (der === undefined) {
        yield* checkIdentity(settings.identity, "TLS certificate", "TLS private key").pipe(
          Effect.mapError((e) => error("InvalidOptions", `invalid TLS identity: ${e.message}`, e))
        )
        der = yield* certificateDer(pem).pipe(
          Effect.mapError((e) => error("InvalidOptions", `invalid TLS certificate: ${e.message}`, e))
        )
        identities.set(cacheKey, der)
      }
      return { der, verify: settings.verify }
    })
  }

  // Chain checks are real RSA verifications; the same certificate against the same CAs always gives the same answer.
  const verified = new Map<string, Either.Either<void, TransportError>>()

  const checkPeer = (verify: OwnTls["verify"], der: Uint8Array, who: string): Effect.Effect<void, TransportError> => {
    if (verify._tag === "AcceptAny") return Effect.void
    const cacheKey = `${who}\n${Buffer.from(der).toString("base64")}\n${verify.caPem.join("\n")}`
    const known = verified.get(cacheKey)
    if (known !== undefined) return known
    return verifyChain(der, verify.caPem).pipe(
      Effect.mapError((e) => error("TlsFailure", `${who} certificate refused: ${e.message}`, e)),
      Effect.either,
      Effect.tap((result) => Effect.sync(() => verified.set(cacheKey, result))),
      Effect.flatten
    )
  }

  /** Mutual TLS as a real handshake would end it: the client checks the server first, then the server the client. */
  const handshake = (client: OwnTls | undefined, server: OwnTls | undefined, at: Address) =>
    Effect.gen(function*() {
      if (client === undefined && server === undefined) return { client: Option.none(), server: Option.none() }
      if (client === undefined) return yield* error("TlsFailure", `${addressKey(at)} requires TLS; the dial was plain`)
      if (server === undefined) return yield* error("TlsFailure", `${addressKey(at)} does not speak TLS`)
      yield* checkPeer(client.verify, server.der, "server")
      yield* checkPeer(server.verify, client.der, "client")
      return { client: Option.some(client.der), server: Option.some(server.der) }
    })

  const listen = (options: ListenOptions): Effect.Effect<Listener, TransportError, Scope.Scope> =>
    Effect.gen(function*() {
      const limits = yield* checkLimits(options)
      const boundHost = WILDCARD_HOSTS.has(options.host) ? host : options.host
      if (boundHost !== host) {
        return yield* error("ListenFailed", `cannot listen on ${options.host}: this memory host is ${host}`)
      }
      if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
        return yield* error("InvalidOptions", `port must be an integer in 0..65535, got ${options.port}`)
      }
      const tls = yield* ownTls(options.tls)
      const port = options.port === 0 ? net.allocatePort(host) : options.port
      if (port === undefined) return yield* error("ListenFailed", `no free port left on ${host}`)
      const address: Address = { host, port }
      const key = addressKey(address)
      if (net.listeners.has(key)) return yield* error("AddressInUse", `${key} is already listening`)
      const parent = yield* Effect.scope
      // Accepted connections live in `scope`; the finalizer below is added after it, so it runs first: nothing new
      // can arrive while the accepted connections are being closed.
      const scope = yield* Scope.fork(parent, ExecutionStrategy.sequential)
      const queue = yield* Queue.unbounded<Connection>()
      const entry: ListenerEntry = {
        address,
        tls,
        gate: options.gate ?? ACCEPT_ALL,
        maxFrameSize: limits.maxFrameSize,
        highWaterMark: limits.highWaterMark,
        scope,
        queue
      }
      net.listeners.set(key, entry)
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          if (net.listeners.get(key) === entry) net.listeners.delete(key)
          return Queue.shutdown(queue)
        })
      )
      return { address, connections: Stream.fromQueue(queue) }
    })

  const dial = (remote: Address, options: DialOptions = {}): Effect.Effect<Connection, TransportError, Scope.Scope> =>
    Effect.gen(function*() {
      const limits = yield* checkLimits(options)
      const tls = yield* ownTls(options.tls)
      const parent = yield* Effect.scope
      const key = addressKey(remote)
      const local: Address = { host, port: net.allocatePort(host) ?? 0 }
      // The simulated TLS handshake takes no simulated time, but its certificate checks are real asynchronous work: they
      // run before the open timeout starts, so a TestClock that jumps ahead cannot time a dial out while they finish.
      const listening = net.listeners.get(key)
      const checked = listening === undefined ? undefined : yield* Effect.either(handshake(tls, listening.tls, remote))
      const open = Effect.gen(function*() {
        const there = net.faultsBetween(local, remote)
        // A partition or a blackhole swallows the connection request: no answer, the open timeout ends the dial.
        if (there.blackhole) return yield* Effect.never
        yield* sleepMillis(there.latency + (yield* net.jitter(there.jitter)))
        const entry = net.listeners.get(key)
        const back = net.faultsBetween(remote, local)
        if (back.blackhole) return yield* Effect.never
        const answer = sleepMillis(back.latency + (yield* net.jitter(back.jitter)))
        if (entry === undefined || net.isRefused(remote)) {
          yield* answer
          return yield* error("DialRefused", `connection refused by ${key}`)
        }
        const certificates = yield* Effect.tapError(
          entry === listening && checked !== undefined ? checked : handshake(tls, entry.tls, remote),
          () => answer
        )
        const verdict = yield* entry.gate({ remote: local, peerCertificate: certificates.client }).pipe(
          Effect.catchAllDefect((defect) =>
            Effect.succeed<GateVerdict>({ _tag: "Reject", status: 500, reason: `gate failed: ${String(defect)}` })
          )
        )
        yield* answer
        if (verdict._tag === "Reject") {
          return yield* error("Rejected", `${key} rejected the connection: ${verdict.status} ${verdict.reason}`, {
            status: verdict.status,
            reason: verdict.reason
          })
        }
        if (net.listeners.get(key) !== entry) return yield* error("DialRefused", `${key} stopped listening`)
        return yield* Effect.uninterruptible(Effect.gen(function*() {
          const dialerScope = yield* Scope.fork(parent, ExecutionStrategy.sequential)
          const acceptorScope = yield* Scope.fork(entry.scope, ExecutionStrategy.sequential)
          const clock = yield* Effect.clock
          const link = new MemoryLink(net, clock, {
            id: net.nextConnectionId(),
            direction: "outbound",
            local,
            remote: entry.address,
            peerCertificate: certificates.server,
            peerId: Option.map(certificates.server, nodeId),
            maxFrameSize: limits.maxFrameSize,
            highWaterMark: limits.highWaterMark,
            scope: dialerScope,
            pumpScope: parent
          }, {
            id: net.nextConnectionId(),
            direction: "inbound",
            local: entry.address,
            remote: local,
            peerCertificate: certificates.client,
            peerId: Option.map(certificates.client, nodeId),
            maxFrameSize: entry.maxFrameSize,
            highWaterMark: entry.highWaterMark,
            scope: acceptorScope,
            pumpScope: entry.scope
          })
          yield* Scope.addFinalizer(dialerScope, link.closeLocal(0, CLOSE_NORMAL, ""))
          yield* Scope.addFinalizer(acceptorScope, link.closeLocal(1, CLOSE_GOING_AWAY, "listener closed"))
          net.links.add(link)
          yield* Queue.offer(entry.queue, link.connections[1])
          return link.connections[0]
        }))
      })
      return yield* open.pipe(Effect.timeoutFail({
        duration: limits.openTimeout,
        onTimeout: () => error("Timeout", `no connection to ${key} within ${Duration.format(limits.openTimeout)}`)
      }))
    })

  return { dial, listen }
}
