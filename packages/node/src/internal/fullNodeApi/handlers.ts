/**
 * The full node's answers (`chia/full_node/full_node_api.py`): from the `Chain` when it has the data, otherwise the way
 * the reference answers for data it lacks — a reject, or an empty response. Requests the reference answers with nothing
 * when it lacks the data (its handler returns None) get nothing here either; notifications are accepted and ignored.
 */
import { Effect, Option } from "effect"
import { createHash } from "node:crypto"
import { encodeUnsafe } from "@peerwire/codec/Codec"
import { SpendBundle } from "@peerwire/codec/chia/types/coin"
import type { FullBlock, HeaderBlock } from "@peerwire/codec/chia/types/blocks"
import type { AddressBookShape } from "../../AddressBook.js"
import type { ChainShape } from "../../Chain.js"
import type { NodeHandlers } from "../../PeerManager.js"

/** `MAX_BLOCK_COUNT_PER_REQUESTS`: the widest range `request_blocks` / header requests may ask for (end − start). */
export const MAX_BLOCK_COUNT_PER_REQUESTS = 32
/** `RejectStateReason.REORG`: the reference's answer when the requested previous height/hash is not on its chain. */
export const REJECT_STATE_REORG = 0

const ZERO_HASH = new Uint8Array(32)

const ignore = () => Effect.void

/** All heights of `[start, end]` from `get`, or None when the range is invalid or one is missing. */
const range = <A>(
  start: number,
  end: number,
  get: (height: number) => Effect.Effect<Option.Option<A>>
): Effect.Effect<Option.Option<ReadonlyArray<A>>> =>
  Effect.gen(function*() {
    if (end < start || end - start > MAX_BLOCK_COUNT_PER_REQUESTS) return Option.none()
    const out: Array<A> = []
    for (let height = start; height <= end; height++) {
      const item = yield* get(height)
      if (Option.isNone(item)) return Option.none()
      out.push(item.value)
    }
    return Option.some(out)
  })

export const fullNodeHandlers = (chain: ChainShape, book: AddressBookShape): NodeHandlers => {
  const blocks = (start: number, end: number, withTx: boolean) =>
    range<FullBlock>(start, end, (h) => chain.block(h, withTx))
  const headers = (start: number, end: number) => range<HeaderBlock>(start, end, chain.headerBlock)
  return {
    // ---- peers ----------------------------------------------------------------------------------------------------
    request_peers: () =>
      Effect.map(book.sample, (sample) => ({
        name: "respond_peers" as const,
        payload: { peer_list: sample.map((a) => ({ host: a.host, port: a.port, timestamp: BigInt(a.timestamp) })) }
      })),

    // ---- blocks ---------------------------------------------------------------------------------------------------
    request_block: ({ height, include_transaction_block }) =>
      Effect.map(chain.block(height, include_transaction_block), Option.match({
        onNone: () => ({ name: "reject_block" as const, payload: { height } }),
        onSome: (block) => ({ name: "respond_block" as const, payload: { block } })
      })),
    request_blocks: ({ end_height, include_transaction_block, start_height }) =>
      Effect.map(blocks(start_height, end_height, include_transaction_block), Option.match({
        onNone: () => ({ name: "reject_blocks" as const, payload: { start_height, end_height } }),
        onSome: (list) => ({
          name: "respond_blocks" as const,
          payload: { start_height, end_height, blocks: list }
        })
      })),
    request_block_header: ({ height }) =>
      Effect.map(chain.headerBlock(height), Option.match({
        onNone: () => ({ name: "reject_header_request" as const, payload: { height } }),
        onSome: (header_block) => ({ name: "respond_block_header" as const, payload: { header_block } })
      })),
    // The reference sends nothing for an invalid range; we reject it so that no request waits for its timeout.
    request_header_blocks: ({ end_height, start_height }) =>
      Effect.map(headers(start_height, end_height), Option.match({
        onNone: () => ({ name: "reject_header_blocks" as const, payload: { start_height, end_height } }),
        onSome: (header_blocks) => ({
          name: "respond_header_blocks" as const,
          payload: { start_height, end_height, header_blocks }
        })
      })),
    request_block_headers: ({ end_height, start_height }) =>
      Effect.map(headers(start_height, end_height), Option.match({
        onNone: () => ({ name: "reject_block_headers" as const, payload: { start_height, end_height } }),
        onSome: (header_blocks) => ({
          name: "respond_block_headers" as const,
          payload: { start_height, end_height, header_blocks }
        })
      })),

    // ---- coins (the default chain holds no coin set) ----------------------------------------------------------------
    request_removals: ({ header_hash, height }) =>
      Effect.succeed({ name: "reject_removals_request" as const, payload: { height, header_hash } }),
    request_additions: ({ header_hash, height }) =>
      Effect.succeed({
        name: "reject_additions_request" as const,
        payload: { height, header_hash: header_hash ?? ZERO_HASH }
      }),
    request_puzzle_solution: ({ coin_name, height }) =>
      Effect.succeed({ name: "reject_puzzle_solution" as const, payload: { coin_name, height } }),
    request_puzzle_state: () =>
      Effect.succeed({ name: "reject_puzzle_state" as const, payload: { reason: REJECT_STATE_REORG } }),
    request_coin_state: () =>
      Effect.succeed({ name: "reject_coin_state" as const, payload: { reason: REJECT_STATE_REORG } }),
    register_for_ph_updates: ({ min_height, puzzle_hashes }) =>
      Effect.succeed({
        name: "respond_to_ph_updates" as const,
        payload: { puzzle_hashes, min_height, coin_states: [] }
      }),
    register_for_coin_updates: ({ coin_ids, min_height }) =>
      Effect.succeed({
        name: "respond_to_coin_updates" as const,
        payload: { coin_ids, min_height, coin_states: [] }
      }),
    request_remove_puzzle_subscriptions: () =>
      Effect.succeed({ name: "respond_remove_puzzle_subscriptions" as const, payload: { puzzle_hashes: [] } }),
    request_remove_coin_subscriptions: () =>
      Effect.succeed({ name: "respond_remove_coin_subscriptions" as const, payload: { coin_ids: [] } }),
    request_children: () => Effect.succeed({ name: "respond_children" as const, payload: { coin_states: [] } }),
    request_ses_hashes: () =>
      Effect.succeed({ name: "respond_ses_hashes" as const, payload: { reward_chain_hash: [], heights: [] } }),

    // ---- mempool ----------------------------------------------------------------------------------------------------
    request_cost_info: () => Effect.map(chain.costInfo, (payload) => ({ name: "respond_cost_info" as const, payload })),
    request_fee_estimates: ({ time_targets }) =>
      Effect.map(chain.feeEstimates(time_targets), (estimates) => ({
        name: "respond_fee_estimates" as const,
        payload: { estimates }
      })),
    send_transaction: ({ transaction }) => {
      const txid = new Uint8Array(createHash("sha256").update(encodeUnsafe(SpendBundle, transaction)).digest())
      return Effect.map(chain.submitTransaction(transaction, txid), (payload) => ({
        name: "transaction_ack" as const,
        payload
      }))
    },

    // ---- requests the reference leaves unanswered when it lacks the data -------------------------------------------
    request_transaction: ignore,
    request_proof_of_weight: ignore,
    request_unfinished_block: ignore,
    request_unfinished_block2: ignore,
    request_signage_point_or_end_of_sub_slot: ignore,
    request_compact_vdf: ignore,

    // ---- notifications and data the full node API accepts ----------------------------------------------------------
    new_peak: ignore,
    new_transaction: ignore,
    new_unfinished_block: ignore,
    new_unfinished_block2: ignore,
    new_signage_point_or_end_of_sub_slot: ignore,
    new_compact_vdf: ignore,
    request_mempool_transactions: ignore,
    respond_transaction: ignore,
    respond_unfinished_block: ignore,
    respond_signage_point: ignore,
    respond_end_of_sub_slot: ignore,
    respond_compact_vdf: ignore,
    declare_proof_of_space: ignore,
    signed_values: ignore,
    new_infusion_point_vdf: ignore,
    new_signage_point_vdf: ignore,
    new_end_of_sub_slot_vdf: ignore,
    respond_compact_proof_of_time: ignore
  }
}
