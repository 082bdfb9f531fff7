/**
 * `peerwire devnet`: an introducer and N full nodes in this process (one Effect runtime, one node layer each on the wss
 * transport with its own data directory and public certificate), all on 127.0.0.1. Private addresses are allowed and
 * the one-outbound-per-group rule is off (every node shares 127.0.0.1's group). A table of who is connected to whom,
 * message rates and bans is kept current until interruption, which stops every member (connections closed, files
 * written).
 */
import { Clock, Context, Duration, Effect, Layer, Option, Scope } from "effect"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type TlsSettings, Transport, type TransportError } from "@peerwire/transport"
import * as WebSocketTransport from "@peerwire/transport/WebSocketTransport"
import type { AddressBookError } from "../AddressBook.js"
import { BanList } from "../BanList.js"
import { CliFailure } from "../cli/input.js"
import * as DataDir from "../DataDir.js"
import * as DnsResolver from "../DnsResolver.js"
import { Introducer } from "../Introducer.js"
import * as Node from "../Node.js"
import { PeerManager, type PeerManagerShape } from "../PeerManager.js"
import * as Table from "./devnetTable.js"
import type { Terminal } from "./logging.js"
import { p2pTls } from "./prepareNode.js"
import { TrafficMeter } from "./trafficMeter.js"

export const DEVNET_HOST = "127.0.0.1"
export const DEFAULT_NETWORK = "devnet"
/** Short discovery and vetting periods: a devnet should find itself in seconds, not minutes. */
export const DEVNET_PEER_CONNECT_INTERVAL = Duration.seconds(2)
export const DEVNET_VETTING_INTERVAL = Duration.seconds(2)
/**
 * A failed or duplicate dial is retried after this, not after the reference's 30 minutes: devnet peers are few. Not
 * much shorter: while every known address was tried within it, the loop asks the introducer again, which is how a node
 * learns members it missed (gossip does not pass on introducer-given addresses, and a node's own address, learned by
 * gossip, must not keep looking like a candidate).
 */
export const DEVNET_RECENT_TRY_WINDOW = Duration.seconds(30)
/** Table refresh on a terminal; otherwise the table is printed every `interval`. */
export const TTY_REFRESH = Duration.seconds(1)
export const DEFAULT_PRINT_INTERVAL = Duration.seconds(5)
/** Data directories are made a few at a time (each needs four RSA keys). */
const ENSURE_CONCURRENCY = 4

/** Half the other nodes (at most 8, the reference's outbound target), so that the targets can all be met. */
export const defaultTarget = (nodes: number): number => Math.min(8, Math.max(1, Math.ceil((nodes - 1) / 2)))

export interface DevnetOptions {
  readonly nodes: number
  /** Introducer on basePort, node i on basePort + i; 0 = any free ports. */
  readonly basePort: number
  /** Where the members' data directories go; undefined = a new temporary directory, removed at the end. */
  readonly dataDir: string | undefined
  readonly network: string
  readonly target: number
  readonly terminal: Terminal
  readonly printInterval: Duration.DurationInput
}

interface Member {
  readonly name: string
  readonly nodeId: string
  readonly isIntroducer: boolean
  readonly manager: PeerManagerShape
  readonly bans: BanList["Type"]
  readonly traffic: TrafficMeter
  readonly port: number
  /** The introducer's registry (introducer only). */
  readonly introducer: Option.Option<Introducer["Type"]>
}

const fail = (message: string) => new CliFailure({ message })

const ensureDir = (dir: string, network: string) =>
  DataDir.ensure(dir, { network }).pipe(Effect.mapError((e) => fail(e.message)))

const snapshot = (member: Member): Effect.Effect<Table.MemberSnapshot> =>
  Effect.gen(function*() {
    const connections = (yield* member.manager.connections).filter((c) =>
      c.purpose !== "feeler" && c.purpose !== "introducer"
    )
    return {
      name: member.name,
      port: member.port,
      nodeId: member.nodeId,
      isIntroducer: member.isIntroducer,
      outboundTo: connections.filter((c) => c.direction === "outbound").map((c) => c.nodeId),
      inboundFrom: connections.filter((c) => c.direction === "inbound").map((c) => c.nodeId),
      framesIn: member.traffic.totals.framesIn,
      framesOut: member.traffic.totals.framesOut,
      bans: (yield* member.bans.list).length,
      note: Option.isSome(member.introducer)
        ? yield* Effect.map(member.introducer.value.peers, (peers) =>
          `registered ${peers.length}, vetted ${peers.filter((p) => p.vetted > 0).length}`)
        : undefined
    }
  })

const startMember = (
  name: string,
  isIntroducer: boolean,
  dir: string,
  options: DevnetOptions,
  port: number,
  introducer: { readonly host: string; readonly port: number } | undefined
): Effect.Effect<Member, CliFailure, Scope.Scope> =>
  Effect.gen(function*() {
    const report = yield* ensureDir(dir, options.network)
    const tls: TlsSettings = yield* p2pTls(report.paths)
    const traffic = new TrafficMeter()
    const transport = Layer.succeed(Transport, traffic.wrap(WebSocketTransport.make()))
    const peerManager = { networkId: options.network, listen: { host: DEVNET_HOST, port }, tls }
    const banList = { path: report.paths.bansFile }
    const dnsLayer = DnsResolver.layerRecords({})
    const layer: Layer.Layer<PeerManager | BanList, TransportError | AddressBookError, Transport> = isIntroducer
      ? Node.introducerLayer({
        peerManager,
        banList,
        dnsLayer,
        introducer: { vettingInterval: DEVNET_VETTING_INTERVAL }
      })
      : Node.layer({
        peerManager,
        banList,
        dnsLayer,
        // Every member shares 127.0.0.1: the book must tell them apart by port (the reference keys by IP only).
        addressBook: { path: report.paths.peersFile, allowPrivate: true, keyByEndpoint: true },
        discovery: {
          introducer,
          targetOutbound: options.target,
          groupRule: false,
          feelerInterval: false,
          peerConnectInterval: DEVNET_PEER_CONNECT_INTERVAL,
          recentTryWindow: DEVNET_RECENT_TRY_WINDOW,
          dnsServers: [],
          defaultPort: port
        }
      })
    const context = yield* Layer.build(layer.pipe(Layer.provide(transport))).pipe(
      Effect.mapError((e) => fail(`${name}: cannot start on ${DEVNET_HOST}:${port}: ${e.message}`)),
      Effect.annotateLogs("node", name)
    )
    const manager = Context.get(context, PeerManager)
    const bound = Option.getOrElse(yield* manager.listenAddress, () => ({ host: DEVNET_HOST, port }))
    return {
      name,
      nodeId: report.nodeId,
      isIntroducer,
      manager,
      bans: Context.get(context, BanList),
      traffic,
      port: bound.port,
      introducer: Context.getOption(context, Introducer)
    }
  })

/** Where the data directories go; a temporary root is removed when the scope closes. */
const dataRoot = (dataDir: string | undefined): Effect.Effect<string, CliFailure, Scope.Scope> =>
  dataDir !== undefined
    ? Effect.succeed(dataDir)
    : Effect.acquireRelease(
      Effect.tryPromise({
        try: () => mkdtemp(join(tmpdir(), "peerwire-devnet-")),
        catch: (cause) => fail(`cannot create a temporary directory: ${String(cause)}`)
      }),
      (root) => Effect.promise(() => rm(root, { recursive: true, force: true }).catch(() => undefined))
    )

/** Runs the devnet until interrupted. */
export const runDevnet = (options: DevnetOptions): Effect.Effect<never, CliFailure, Scope.Scope> =>
  Effect.gen(function*() {
    const { terminal } = options
    const root = yield* dataRoot(options.dataDir)
    const portOf = (i: number) => (options.basePort === 0 ? 0 : options.basePort + i)
    // Certificates first (the slow part), concurrently; then the members start in order, introducer first.
    const names = ["introducer", ...Array.from({ length: options.nodes }, (_, i) => `node-${i + 1}`)]
    yield* Effect.forEach(
      names,
      (name) => ensureDir(join(root, name), options.network),
      { concurrency: ENSURE_CONCURRENCY, discard: true }
    )
    const introducer = yield* startMember("introducer", true, join(root, "introducer"), options, portOf(0), undefined)
    const introducerAddress = { host: DEVNET_HOST, port: introducer.port }
    const members: Array<Member> = [introducer]
    for (let i = 1; i <= options.nodes; i++) {
      const name = `node-${i}`
      members.push(yield* startMember(name, false, join(root, name), options, portOf(i), introducerAddress))
    }
    terminal.line(
      `devnet: introducer wss://${DEVNET_HOST}:${introducer.port}/ws, ${options.nodes} nodes on ports ` +
        members.slice(1).map((m) => m.port).join(", ") + `, network ${options.network}, data in ${root}`
    )
    yield* Effect.addFinalizer(() => Effect.sync(() => terminal.line("devnet: stopping")))

    const started = yield* Clock.currentTimeMillis
    let previous: ReadonlyArray<Table.MemberSnapshot> | undefined = undefined
    let previousAt = started
    let reported = false
    const draw = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const current = yield* Effect.forEach(members, snapshot)
      const lines = Table.render({
        members: current,
        previous,
        seconds: (now - previousAt) / 1000,
        target: options.target,
        uptimeSeconds: (now - started) / 1000
      })
      previous = current
      previousAt = now
      const summary = Table.summarize(current, options.target)
      if (!reported && summary.atTarget === summary.nodes && summary.connected) {
        reported = true
        terminal.line(`devnet: every node at target after ${((now - started) / 1000).toFixed(1)} s`)
      }
      if (terminal.interactive) terminal.setBlock(lines)
      else for (const line of lines) terminal.line(line)
    })
    const every = terminal.interactive ? TTY_REFRESH : Duration.decode(options.printInterval)
    return yield* Effect.forever(Effect.zipRight(draw, Effect.sleep(every))).pipe(
      Effect.ensuring(Effect.sync(() => terminal.clearStatus()))
    )
  })
