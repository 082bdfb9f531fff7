/**
 * The README's wallet example, compiled and run against a fake full node on the in-memory transport.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import type { Address, TlsSettings } from "@peerwire/transport"
import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
import { ChiaPeer, NodeType } from "@peerwire/peer"

// --- README example start ---
/** A wallet: connect to a full node, wait for its peak, fetch recent headers, header blocks and coin states. */
export const walletSync = (address: Address, tls: TlsSettings | undefined, coinIds: ReadonlyArray<Uint8Array>) =>
  Effect.scoped(
    Effect.gen(function*() {
      const peer = yield* ChiaPeer.connect(address, { nodeType: NodeType.WALLET, networkId: "mainnet", tls })
      // The full node announces its peak right after the handshake (a late subscriber still gets the last one).
      const peak = yield* Effect.flatten(Stream.runHead(peer.messages("new_peak_wallet")))
      // Typed by the reply map: respond_block_headers | reject_block_headers | reject_header_blocks.
      const headers = yield* peer.request("request_block_headers", {
        start_height: Math.max(0, peak.height - 31),
        end_height: peak.height,
        return_filter: false
      })
      const blocks = yield* peer.request("request_header_blocks", {
        start_height: peak.height,
        end_height: peak.height
      })
      const coins = yield* peer.request("request_coin_state", {
        coin_ids: [...coinIds],
        previous_height: undefined,
        header_hash: peak.header_hash,
        subscribe: false
      })
      yield* peer.close()
      return {
        peak: peak.height,
        headers: headers.name === "respond_block_headers" ? headers.payload.header_blocks.length : headers.name,
        blocks: blocks.name,
        coins: coins.name === "respond_coin_state" ? coins.payload.coin_states : []
      }
    })
  )
// --- README example end ---

const PEAK = {
  header_hash: new Uint8Array(32).fill(7),
  height: 5_000_000,
  weight: 10n ** 12n,
  fork_point_with_previous_peak: 4_999_999
}
const COIN = { parent_coin_info: new Uint8Array(32).fill(1), puzzle_hash: new Uint8Array(32).fill(2), amount: 1n }

/** A fake full node: answers the wallet requests the example makes and announces its peak. */
const fakeFullNode = (network: MemoryTransport.MemoryNetworkShape) =>
  Effect.gen(function*() {
    const transport = network.transport({ host: "10.0.0.1" })
    const listener = yield* Effect.orDie(transport.listen({ host: "10.0.0.1", port: 8444 }))
    const serve = (connection: Parameters<typeof ChiaPeer.accept>[0]) =>
      Effect.scoped(
        Effect.gen(function*() {
          const peer = yield* ChiaPeer.accept(connection, {
            networkId: "mainnet",
            nodeType: NodeType.FULL_NODE,
            serverPort: 8444,
            config: { unhandled: "reject" },
            handlers: {
              request_block_headers: ({ end_height, start_height }) =>
                Effect.succeed({
                  name: "respond_block_headers",
                  payload: { start_height, end_height, header_blocks: [] }
                }),
              request_header_blocks: ({ end_height, start_height }) =>
                Effect.succeed({ name: "reject_header_blocks", payload: { start_height, end_height } }),
              request_coin_state: ({ coin_ids }) =>
                Effect.succeed({
                  name: "respond_coin_state",
                  payload: { coin_ids, coin_states: [{ coin: COIN, spent_height: undefined, created_height: 42 }] }
                })
            }
          })
          yield* peer.send("new_peak_wallet", PEAK)
          return yield* peer.closed
        })
      ).pipe(Effect.ignore)
    yield* Effect.forkScoped(Stream.runForEach(listener.connections, (c) => Effect.fork(serve(c))))
  })

describe("README example", () => {
  it.scoped("a wallet syncs from a full node", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      yield* fakeFullNode(network)
      const result = yield* walletSync({ host: "10.0.0.1", port: 8444 }, undefined, [new Uint8Array(32).fill(3)]).pipe(
        Effect.provide(MemoryTransport.layer(network, { host: "10.0.0.2" }))
      )
      assert.strictEqual(result.peak, 5_000_000)
      assert.strictEqual(result.headers, 0)
      assert.strictEqual(result.blocks, "reject_header_blocks")
      assert.strictEqual(result.coins.length, 1)
      assert.strictEqual(result.coins[0]?.created_height, 42)
    }))
})
