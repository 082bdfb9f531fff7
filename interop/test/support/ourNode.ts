/**
 * Our side for the interop tests: a Chia-CA-signed identity, the handlers an honest full node with an empty chain
 * needs, and a small listening node (wss listener + ban gate + `ChiaPeer.accept`, bans applied from the peer layer's
 * verdicts with the node's `BanList`). The node core's PeerManager/Node layer is meant to replace `startOurNode` once
 * it exists; until then this is the same composition on the public APIs of transport, peer and node.
 */
import { Effect, Option, Stream } from "effect"
import type { Scope } from "effect"
import { type Address, Certificates, type Connection, type TlsSettings, Transport, type TransportError } from "@peerwire/transport"
import { ChiaPeer, type PeerClosed, type PeerError } from "@peerwire/peer"
import type { BanListShape } from "@peerwire/node/BanList"
import { recording, type FrameLog } from "./recording.js"

export interface OurIdentity {
  readonly tls: TlsSettings
  /** SHA-256 of our certificate, lower-case hex: how the reference names us in its log and RPC. */
  readonly nodeIdHex: string
}

/** A fresh node certificate signed by the public Chia CA; peers must chain to the Chia CA too (as the reference's public port). */
export const makeIdentity: Effect.Effect<OurIdentity, Certificates.CertificateError> = Effect.gen(function*() {
  const ca = yield* Certificates.chiaCa
  const identity = yield* Certificates.generateNodeCertificate(ca)
  const der = yield* Certificates.certificateDer(identity.certificatePem)
  return {
    tls: { identity, verify: { _tag: "RequireCa", caPem: [ca.certificatePem] } },
    nodeIdHex: Certificates.nodeIdHex(der)
  }
})

/** What an honest full node with no blocks answers; everything else is only published (policy "ignore"). */
export const honestHandlers: ChiaPeer.ChiaHandlers = {
  request_peers: () => Effect.succeed({ name: "respond_peers" as const, payload: { peer_list: [] } }),
  request_block: (request) => Effect.succeed({ name: "reject_block" as const, payload: { height: request.height } }),
  request_mempool_transactions: () => Effect.void,
  new_peak: () => Effect.void
}

export interface InboundRecord {
  readonly remote: Address
  readonly at: number
  handshake?: { readonly networkId: string; readonly nodeType: number; readonly softwareVersion: string; readonly rateLimitsV3: boolean }
  peer?: ChiaPeer.ChiaPeer
  error?: PeerError
  closed?: PeerClosed
  banned?: boolean
}

export interface OurNode {
  readonly address: Address
  /** Every accepted connection, in order (gate refusals never get here). */
  readonly inbound: ReadonlyArray<InboundRecord>
  /** Gate decisions: remote host and whether it was refused as banned. */
  readonly gateLog: ReadonlyArray<{ readonly host: string; readonly refused: boolean }>
}

export interface OurNodeOptions {
  readonly host: string
  readonly port: number
  readonly networkId: string
  readonly identity: OurIdentity
  readonly banList: BanListShape
  readonly peer: Omit<ChiaPeer.ChiaPeerOptions, "networkId" | "tls">
  readonly capture?: FrameLog | undefined
}

/** Listens, gates banned hosts with HTTP 403, handshakes every inbound connection and bans by the peer's verdicts. */
export const startOurNode = (options: OurNodeOptions): Effect.Effect<OurNode, TransportError, Transport | Scope.Scope> =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const inbound: Array<InboundRecord> = []
    const gateLog: Array<{ host: string; refused: boolean }> = []
    const listener = yield* transport.listen({
      host: options.host,
      port: options.port,
      tls: options.identity.tls,
      gate: (request) =>
        Effect.map(options.banList.isBanned(request.remote.host), (banned) => {
          gateLog.push({ host: request.remote.host, refused: banned })
          return banned
            ? { _tag: "Reject" as const, status: 403, reason: `Peer ${request.remote.host} is banned` }
            : { _tag: "Accept" as const }
        })
    })
    const ban = (host: string, seconds: number, why: string) =>
      seconds > 0 ? options.banList.ban(host, seconds, why) : Effect.succeed(false)

    const serve = (raw: Connection) =>
      Effect.gen(function*() {
        const record: InboundRecord = { remote: raw.remote, at: Date.now() }
        inbound.push(record)
        const connection = options.capture === undefined ? raw : recording(raw, options.capture)
        const accepted = yield* Effect.either(
          ChiaPeer.accept(connection, { ...options.peer, networkId: options.networkId, tls: options.identity.tls })
        )
        if (accepted._tag === "Left") {
          record.error = accepted.left
          record.banned = yield* ban(raw.remote.host, accepted.left.banSeconds, accepted.left.reason)
          return
        }
        const peer = accepted.right
        record.peer = peer
        record.handshake = {
          networkId: peer.info.networkId,
          nodeType: peer.info.nodeType,
          softwareVersion: peer.info.softwareVersion,
          rateLimitsV3: peer.info.rateLimitsV3
        }
        const closed = yield* peer.closed
        record.closed = closed
        if (Option.isSome(closed.error)) record.error = closed.error.value
        record.banned = yield* ban(raw.remote.host, closed.banSeconds, Option.match(closed.error, { onNone: () => "closed", onSome: (e) => e.reason }))
      }).pipe(Effect.scoped)

    yield* listener.connections.pipe(
      Stream.runForEach((connection) => Effect.forkScoped(serve(connection))),
      Effect.forkScoped
    )
    return { address: listener.address, inbound, gateLog }
  })
