/** The shared state of one in-memory network: listeners by address, live links, fault rules and partitions. */
import { Effect, type Queue, Random, type Scope } from "effect"
import { randomBytes } from "node:crypto"
import type {
  Address,
  Connection,
  GateVerdict,
  InboundRequest,
  PeerVerification,
  TransportError
} from "../Transport.js"
import {
  addressKey,
  checkFaults,
  coversPair,
  type LinkFaults,
  matches,
  NO_FAULTS,
  type PartialResolved,
  type ResolvedFaults
} from "./memoryFaults.js"
import type { LinkEnvironment, MemoryLink } from "./memoryLink.js"

/** A listener's own TLS side: the DER it presents and how it checks clients. */
export interface OwnTls {
  readonly der: Uint8Array
  readonly verify: PeerVerification
}

export interface ListenerEntry {
  readonly address: Address
  readonly tls: OwnTls | undefined
  readonly gate: (request: InboundRequest) => Effect.Effect<GateVerdict>
  readonly maxFrameSize: number
  readonly highWaterMark: number
  readonly scope: Scope.Scope
  readonly queue: Queue.Queue<Connection>
}

/** Ports handed out for `port: 0` and to dialers (the IANA dynamic range). */
export const EPHEMERAL_PORT_FIRST = 49152
export const EPHEMERAL_PORT_LAST = 65535

/** What `connections` reports about one live link. */
export interface LinkInfo {
  readonly dialer: { readonly id: string; readonly address: Address; readonly open: boolean }
  readonly acceptor: { readonly id: string; readonly address: Address; readonly open: boolean }
  /** Frames sent on the link so far, both directions. */
  readonly framesSent: number
  /** Bytes sent and not yet read, per direction. */
  readonly inFlight: { readonly toAcceptor: number; readonly toDialer: number }
}

interface Partition {
  readonly a: ReadonlyArray<string>
  readonly b: ReadonlyArray<string>
}

export class NetworkState implements LinkEnvironment {
  /** Prefix of connection ids, so ids stay unique across networks in one process. */
  readonly tag = `mem-${randomBytes(4).toString("hex")}`
  readonly listeners = new Map<string, ListenerEntry>()
  readonly links = new Set<MemoryLink>()
  private readonly random: Random.Random
  private defaults: PartialResolved = {}
  private rules: Array<{ readonly a: string; readonly b: string; readonly faults: PartialResolved }> = []
  private readonly refused = new Set<string>()
  private partitions: Array<Partition> = []
  private connectionCount = 0
  private readonly nextPort = new Map<string, number>()

  constructor(seed: number) {
    this.random = Random.make(seed)
  }

  nextConnectionId(): string {
    return `${this.tag}-${++this.connectionCount}`
  }

  /** A port of `host` that no listener holds (cycling through the ephemeral range), or `undefined` if all are taken. */
  allocatePort(host: string): number | undefined {
    const span = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1
    let port = this.nextPort.get(host) ?? EPHEMERAL_PORT_FIRST
    for (let tries = 0; tries < span; tries++) {
      const candidate = port
      port = port === EPHEMERAL_PORT_LAST ? EPHEMERAL_PORT_FIRST : port + 1
      if (!this.listeners.has(addressKey({ host, port: candidate }))) {
        this.nextPort.set(host, port)
        return candidate
      }
    }
    return undefined
  }

  partitioned(x: Address, y: Address): boolean {
    const inGroup = (group: ReadonlyArray<string>, address: Address) => group.some((p) => matches(p, address))
    return this.partitions.some((p) =>
      (inGroup(p.a, x) && inGroup(p.b, y)) || (inGroup(p.a, y) && inGroup(p.b, x))
    )
  }

  readonly faultsBetween = (from: Address, to: Address): ResolvedFaults => {
    const merged: PartialResolved = { ...this.defaults }
    for (const rule of this.rules) if (coversPair(rule.a, rule.b, from, to)) Object.assign(merged, rule.faults)
    const resolved = { ...NO_FAULTS, ...merged }
    return this.partitioned(from, to) ? { ...resolved, blackhole: true } : resolved
  }

  readonly jitter = (max: number): Effect.Effect<number> =>
    max > 0 ? this.random.nextRange(0, max) : Effect.succeed(0)

  readonly forget = (link: MemoryLink): void => {
    this.links.delete(link)
  }

  isRefused(address: Address): boolean {
    for (const pattern of this.refused) if (matches(pattern, address)) return true
    return false
  }

  // ---- operations behind `MemoryNetwork` ----

  setFaults(faults: LinkFaults): Effect.Effect<void, TransportError> {
    return Effect.map(checkFaults(faults), (resolved) => {
      this.defaults = resolved
    })
  }

  setLinkFaults(a: string, b: string, faults: LinkFaults): Effect.Effect<void, TransportError> {
    return Effect.map(checkFaults(faults), (resolved) => {
      this.rules = this.rules.filter((r) => !((r.a === a && r.b === b) || (r.a === b && r.b === a)))
      this.rules.push({ a, b, faults: resolved })
    })
  }

  clearFaults(): void {
    this.defaults = {}
    this.rules = []
  }

  refuse(pattern: string): void {
    this.refused.add(pattern)
  }

  unrefuse(pattern: string): void {
    this.refused.delete(pattern)
  }

  /** Cuts every live link for which `select` holds; returns how many. */
  cutWhere(select: (link: MemoryLink) => boolean, message: string): Effect.Effect<number> {
    return Effect.suspend(() => {
      const doomed = Array.from(this.links).filter(select)
      return Effect.as(Effect.forEach(doomed, (link) => link.cut(message), { discard: true }), doomed.length)
    })
  }

  partition(a: ReadonlyArray<string>, b: ReadonlyArray<string>): Effect.Effect<number> {
    return Effect.suspend(() => {
      this.partitions.push({ a: [...a], b: [...b] })
      return this.cutWhere(
        (link) => this.partitioned(link.settings(0).local, link.settings(0).remote),
        "network partition (fault injection)"
      )
    })
  }

  heal(): void {
    this.partitions = []
  }

  info(): ReadonlyArray<LinkInfo> {
    return Array.from(this.links, (link) => ({
      dialer: { id: link.settings(0).id, address: link.settings(0).local, open: link.isOpen(0) },
      acceptor: { id: link.settings(1).id, address: link.settings(1).local, open: link.isOpen(1) },
      framesSent: link.framesSent,
      inFlight: { toAcceptor: link.pipes[0].inFlight, toDialer: link.pipes[1].inFlight }
    }))
  }
}
