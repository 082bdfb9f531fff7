/** End to end over real mutual-TLS WebSockets on 127.0.0.1: handshake, requests both ways, notifications, close. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Stream } from "effect"
import * as Certificates from "@peerwire/transport/Certificates"
import type { TlsSettings } from "@peerwire/transport"
import { Transport } from "@peerwire/transport"
import * as WebSocketTransport from "@peerwire/transport/WebSocketTransport"
import { ChiaPeer, NodeType } from "@peerwire/peer"

describe("ChiaPeer over wss", () => {
  it.scopedLive("a wallet and a full node talk over mutual TLS", () =>
    Effect.gen(function*() {
      const ca = yield* Certificates.generateCa()
      const [serverId, clientId] = yield* Effect.all([
        Certificates.generateNodeCertificate(ca),
        Certificates.generateNodeCertificate(ca)
      ])
      const tls = (identity: typeof serverId): TlsSettings => ({
        identity,
        verify: { _tag: "RequireCa", caPem: [ca.certificatePem] }
      })
      const transport = yield* Transport
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0, tls: tls(serverId) })
      const server = yield* Effect.fork(
        Effect.gen(function*() {
          const connection = Option.getOrThrow(yield* Stream.runHead(listener.connections))
          const node = yield* ChiaPeer.accept(connection, {
            networkId: "mainnet",
            nodeType: NodeType.FULL_NODE,
            serverPort: listener.address.port,
            handlers: {
              request_header_blocks: ({ end_height, start_height }) =>
                Effect.succeed({ name: "reject_header_blocks", payload: { start_height, end_height } })
            }
          })
          yield* node.send("new_peak_wallet", {
            header_hash: new Uint8Array(32).fill(9),
            height: 77,
            weight: 1n,
            fork_point_with_previous_peak: 76
          })
          return node
        })
      )
      const wallet = yield* ChiaPeer.connect(listener.address, {
        networkId: "mainnet",
        nodeType: NodeType.WALLET,
        tls: tls(clientId)
      })
      const node = yield* Fiber.join(server)
      const peak = yield* Effect.flatten(Stream.runHead(wallet.messages("new_peak_wallet")))
      assert.strictEqual(peak.height, 77)
      const reply = yield* wallet.request("request_header_blocks", { start_height: 1, end_height: 2 })
      assert.strictEqual(reply.name, "reject_header_blocks")
      // Node ids are the SHA-256 of the remote certificate, on both sides.
      const clientDer = yield* Certificates.certificateDer(clientId.certificatePem)
      assert.deepStrictEqual(Option.getOrThrow(node.info.peerId), Certificates.nodeId(clientDer))
      assert.isTrue(Option.isSome(wallet.info.peerId))
      yield* wallet.close()
      const closed = yield* node.closed
      assert.strictEqual(closed.initiator, "remote")
      assert.strictEqual(closed.code, 1000)
    }).pipe(Effect.provide(WebSocketTransport.layer)), 30_000)
})
