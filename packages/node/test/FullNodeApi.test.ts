import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Context, Effect, FastCheck, Layer } from "effect"
import type { Scope } from "effect"
import { createHash } from "node:crypto"
import { encodeUnsafe } from "@peerwire/codec/Codec"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import { FullBlock } from "@peerwire/codec/chia/types/blocks"
import { SpendBundle } from "@peerwire/codec/chia/types/coin"
import type { MemoryNetworkShape } from "@peerwire/transport/MemoryTransport"
import * as MemoryTransport from "@peerwire/transport/MemoryTransport"
import * as BanList from "../src/BanList.js"
import * as Chain from "../src/Chain.js"
import * as Node from "../src/Node.js"
import * as PeerManager from "../src/PeerManager.js"
import { PORT, startNode } from "./NetworkSupport.js"

const passive = { discovery: { dial: false } } as const
const hash = (n: number) => new Uint8Array(32).fill(n)

const client = (
  network: MemoryNetworkShape,
  host: string,
  nodeType: NodeType
): Effect.Effect<PeerManager.PeerManagerShape, unknown, Scope.Scope> =>
  Effect.map(
    Layer.build(Node.started.pipe(
      Layer.provideMerge(PeerManager.layer({ networkId: "testnet-mem", nodeType })),
      Layer.provide(BanList.layer()),
      Layer.provide(MemoryTransport.layer(network, { host }))
    )),
    (context) => Context.get(context, PeerManager.PeerManager)
  )

describe("FullNodeApi", () => {
  it.scoped("answers every request like a reference node without the data", () =>
    Effect.gen(function*() {
      const network = yield* MemoryTransport.makeNetwork()
      const node = yield* startNode(network, "10.2.0.1", passive)
      const fullNode = (yield* (yield* client(network, "10.3.0.1", NodeType.FULL_NODE)).connect({ host: "10.2.0.1", port: PORT })).peer
      const wallet = (yield* (yield* client(network, "10.4.0.1", NodeType.WALLET)).connect({ host: "10.2.0.1", port: PORT })).peer

      expect(yield* fullNode.request("request_block", { height: 5, include_transaction_block: true })).toEqual({
        name: "reject_block",
        payload: { height: 5 }
      })
      expect(yield* fullNode.request("request_blocks", { start_height: 1, end_height: 3, include_transaction_block: false }))
        .toEqual({ name: "reject_blocks", payload: { start_height: 1, end_height: 3 } })
      expect(yield* fullNode.request("request_peers", {})).toMatchObject({ name: "respond_peers" })
      expect(yield* wallet.request("request_block_header", { height: 7 })).toEqual({
        name: "reject_header_request",
        payload: { height: 7 }
      })
      expect(yield* wallet.request("request_header_blocks", { start_height: 1, end_height: 2 })).toEqual({
        name: "reject_header_blocks",
        payload: { start_height: 1, end_height: 2 }
      })
      expect(yield* wallet.request("request_block_headers", { start_height: 1, end_height: 2, return_filter: true }))
        .toEqual({ name: "reject_block_headers", payload: { start_height: 1, end_height: 2 } })
      expect(yield* wallet.request("request_removals", { height: 3, header_hash: hash(1), coin_names: undefined }))
        .toEqual({ name: "reject_removals_request", payload: { height: 3, header_hash: hash(1) } })
      expect(yield* wallet.request("request_additions", { height: 3, header_hash: hash(2), puzzle_hashes: undefined }))
        .toEqual({ name: "reject_additions_request", payload: { height: 3, header_hash: hash(2) } })
      expect(yield* wallet.request("request_puzzle_solution", { coin_name: hash(3), height: 9 })).toEqual({
        name: "reject_puzzle_solution",
        payload: { coin_name: hash(3), height: 9 }
      })
      const filters = { include_spent: true, include_unspent: true, include_hinted: true, min_amount: 0n }
      expect(yield* wallet.request("request_puzzle_state", {
        puzzle_hashes: [hash(4)],
        previous_height: undefined,
        header_hash: hash(5),
        filters,
        subscribe_when_finished: true
      })).toEqual({ name: "reject_puzzle_state", payload: { reason: 0 } })
      expect(yield* wallet.request("request_coin_state", {
        coin_ids: [hash(6)],
        previous_height: undefined,
        header_hash: hash(5),
        subscribe: false
      })).toEqual({ name: "reject_coin_state", payload: { reason: 0 } })
      expect(yield* wallet.request("register_for_ph_updates", { puzzle_hashes: [hash(7)], min_height: 2 })).toEqual({
        name: "respond_to_ph_updates",
        payload: { puzzle_hashes: [hash(7)], min_height: 2, coin_states: [] }
      })
      expect(yield* wallet.request("register_for_coin_updates", { coin_ids: [hash(8)], min_height: 2 })).toEqual({
        name: "respond_to_coin_updates",
        payload: { coin_ids: [hash(8)], min_height: 2, coin_states: [] }
      })
      expect(yield* wallet.request("request_remove_puzzle_subscriptions", { puzzle_hashes: undefined })).toEqual({
        name: "respond_remove_puzzle_subscriptions",
        payload: { puzzle_hashes: [] }
      })
      expect(yield* wallet.request("request_remove_coin_subscriptions", { coin_ids: undefined })).toEqual({
        name: "respond_remove_coin_subscriptions",
        payload: { coin_ids: [] }
      })
      expect(yield* wallet.request("request_children", { coin_name: hash(9) })).toEqual({
        name: "respond_children",
        payload: { coin_states: [] }
      })
      expect(yield* wallet.request("request_ses_hashes", { start_height: 0, end_height: 100 })).toEqual({
        name: "respond_ses_hashes",
        payload: { reward_chain_hash: [], heights: [] }
      })
      expect(yield* wallet.request("request_cost_info", {})).toEqual({
        name: "respond_cost_info",
        payload: Chain.EMPTY_MEMPOOL_COST_INFO
      })
      expect(yield* wallet.request("request_fee_estimates", { time_targets: [60n, 600n] })).toEqual({
        name: "respond_fee_estimates",
        payload: {
          estimates: {
            error: undefined,
            estimates: [
              { error: undefined, time_target: 60n, estimated_fee_rate: { mojos_per_clvm_cost: 0n } },
              { error: undefined, time_target: 600n, estimated_fee_rate: { mojos_per_clvm_cost: 0n } }
            ]
          }
        }
      })
      const bundle = { coin_spends: [], aggregated_signature: Uint8Array.of(0xc0, ...new Uint8Array(95)) }
      const txid = new Uint8Array(createHash("sha256").update(encodeUnsafe(SpendBundle, bundle)).digest())
      expect(yield* wallet.request("send_transaction", { transaction: bundle })).toEqual({
        name: "transaction_ack",
        payload: { txid, status: Chain.MempoolInclusionStatus.FAILED, error: Chain.NOT_SYNCED_ERROR }
      })
      // Notifications are accepted and ignored: the connection stays up.
      yield* fullNode.send("request_mempool_transactions", { filter: new Uint8Array(0) })
      yield* fullNode.send("new_transaction", { transaction_id: hash(1), cost: 1n, fees: 1n })
      yield* fullNode.request("request_peers", {})
      expect(yield* fullNode.isClosed).toBe(false)
      // A wallet-only request from a full node: the node closes and bans it (API_EXCEPTION_BAN_SECONDS), as the reference.
      expect(yield* fullNode.request("request_cost_info", {}).pipe(Effect.flip, Effect.map((e) => e.reason))).toBe("Closed")
      expect((yield* node.bans.list).map((b) => b.host)).toEqual(["10.3.0.1"])
      expect(yield* wallet.isClosed).toBe(false)
    })
  )

  it.scoped("answers from a Chain provided by the user", () =>
    Effect.gen(function*() {
      const [block] = FastCheck.sample(Arbitrary.make(FullBlock.schema), { numRuns: 1, seed: 42 })
      const network = yield* MemoryTransport.makeNetwork()
      const height = block!.reward_chain_block.height
      yield* startNode(network, "10.2.0.1", {
        ...passive,
        chainLayer: Chain.layer(Chain.fromBlocks([block!], {
          submitTransaction: (_bundle, txid) => Effect.succeed({ txid, status: Chain.MempoolInclusionStatus.SUCCESS, error: undefined })
        }))
      })
      const fullNode = (yield* (yield* client(network, "10.3.0.1", NodeType.FULL_NODE)).connect({ host: "10.2.0.1", port: PORT })).peer
      const reply = yield* fullNode.request("request_block", { height, include_transaction_block: true })
      expect(reply.name).toBe("respond_block")
      expect(reply.name === "respond_block" && encodeUnsafe(FullBlock, reply.payload.block)).toEqual(encodeUnsafe(FullBlock, block!))
      const wallet = (yield* (yield* client(network, "10.4.0.1", NodeType.WALLET)).connect({ host: "10.2.0.1", port: PORT })).peer
      const bundle = { coin_spends: [], aggregated_signature: Uint8Array.of(0xc0, ...new Uint8Array(95)) }
      const ack = yield* wallet.request("send_transaction", { transaction: bundle })
      expect(ack.payload.status).toBe(Chain.MempoolInclusionStatus.SUCCESS)
    })
  )
})
