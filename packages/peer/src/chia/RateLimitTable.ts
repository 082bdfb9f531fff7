/**
 * The reference node's rate-limit tables as data (chia-node-behaviour §4.3, generated from `rate_limit_numbers.py` and
 * `rate_limits_v3.py` at `d61ed07`): every message type's v1 rule, the v2 overrides, and the v3 concurrent-request
 * windows. `max_total_size` values the source leaves as `None` are written out as `frequency × max_size`.
 */
import type { MessageTypeName } from "@peerwire/codec/chia/MessageTypes"
import { ProtocolMessageTypes } from "@peerwire/codec/chia/MessageTypes"
import type { RateLimitRule, RateLimitTable } from "../RateLimit.js"

/** Fixed windows of 60 s (`int(time.monotonic() // 60)`). */
export const RATE_LIMIT_WINDOW_MILLIS = 60_000
/** The aggregate budget of all `agg` types per window: 1000 messages, 100 MiB. */
export const AGGREGATE_LIMIT = { frequency: 1000, maxTotalSize: 100 * 1024 * 1024 } as const
/** `inbound_rate_limit_percent`. */
export const INBOUND_RATE_LIMIT_PERCENT = 100
/** `outbound_rate_limit_percent` of every service but the wallet. */
export const OUTBOUND_RATE_LIMIT_PERCENT = 30
/** The wallet's hard-coded outbound percentage (`start_service.py`). */
export const WALLET_OUTBOUND_RATE_LIMIT_PERCENT = 60
/** Most entries a ConfigureWindowSizes may carry (`MAX_CONFIGURE_RATE_LIMITS_ENTRIES`). */
export const MAX_CONFIGURE_WINDOW_ENTRIES = 256

/** Counted toward the aggregate budget. */
const agg = (frequency: number, maxSize: number, maxTotalSize: number): RateLimitRule => ({
  kind: "aggregate",
  frequency,
  maxSize,
  maxTotalSize
})
/** Counted on its own ("tx" in the source: `rate_limits_tx`). */
const tx = (frequency: number, maxSize: number, maxTotalSize: number): RateLimitRule => ({
  kind: "standalone",
  frequency,
  maxSize,
  maxTotalSize
})
/** Only the per-message size is checked. */
const unlimited = (maxSize: number): RateLimitRule => ({ kind: "unlimited", maxSize })

/** v1: a rule for every message type. */
export const RATE_LIMITS_V1: { readonly [K in MessageTypeName]: RateLimitRule } = {
  handshake: agg(5, 10240, 51200),
  harvester_handshake: agg(5, 1048576, 5242880),
  new_proof_of_space: agg(100, 2048, 204800),
  request_signatures: agg(100, 2048, 204800),
  respond_signatures: agg(100, 2048, 204800),
  new_signage_point: agg(200, 2048, 409600),
  declare_proof_of_space: agg(100, 10240, 1024000),
  request_signed_values: agg(100, 10240, 1024000),
  signed_values: agg(100, 1024, 102400),
  farming_info: agg(100, 1024, 102400),
  new_peak_timelord: agg(100, 20480, 2048000),
  new_unfinished_block_timelord: agg(100, 10240, 1024000),
  new_infusion_point_vdf: agg(100, 102400, 10240000),
  new_signage_point_vdf: agg(100, 102400, 10240000),
  new_end_of_sub_slot_vdf: agg(100, 102400, 10240000),
  request_compact_proof_of_time: agg(100, 10240, 1024000),
  respond_compact_proof_of_time: agg(100, 102400, 10240000),
  new_peak: agg(200, 512, 102400),
  new_transaction: tx(5000, 100, 500000),
  request_transaction: tx(5000, 100, 500000),
  respond_transaction: tx(5000, 1048576, 20971520),
  request_proof_of_weight: agg(5, 100, 500),
  respond_proof_of_weight: agg(5, 52428800, 104857600),
  request_block: agg(200, 100, 20000),
  respond_block: unlimited(2097152),
  reject_block: unlimited(100),
  request_blocks: agg(500, 100, 50000),
  respond_blocks: unlimited(52428800),
  reject_blocks: unlimited(100),
  new_unfinished_block: agg(200, 100, 20000),
  request_unfinished_block: agg(200, 100, 20000),
  respond_unfinished_block: agg(200, 2097152, 20971520),
  new_signage_point_or_end_of_sub_slot: agg(200, 200, 40000),
  request_signage_point_or_end_of_sub_slot: agg(200, 200, 40000),
  respond_signage_point: agg(200, 51200, 10240000),
  respond_end_of_sub_slot: agg(100, 51200, 5120000),
  request_mempool_transactions: agg(5, 1048576, 5242880),
  request_compact_vdf: agg(200, 1024, 204800),
  respond_compact_vdf: agg(200, 102400, 20480000),
  new_compact_vdf: agg(100, 1024, 102400),
  request_peers: agg(10, 100, 1000),
  respond_peers: agg(10, 1048576, 10485760),
  request_puzzle_solution: agg(1000, 100, 100000),
  respond_puzzle_solution: agg(1000, 1048576, 1048576000),
  reject_puzzle_solution: agg(1000, 100, 100000),
  send_transaction: tx(5000, 1048576, 5242880000),
  transaction_ack: tx(5000, 2048, 10240000),
  new_peak_wallet: agg(200, 300, 60000),
  request_block_header: agg(500, 100, 50000),
  respond_block_header: agg(500, 512000, 256000000),
  reject_header_request: agg(500, 100, 50000),
  request_removals: agg(500, 51200, 10485760),
  respond_removals: agg(500, 1048576, 10485760),
  reject_removals_request: agg(500, 100, 50000),
  request_additions: agg(500, 1048576, 10485760),
  respond_additions: agg(500, 1048576, 10485760),
  reject_additions_request: agg(500, 100, 50000),
  request_header_blocks: agg(500, 100, 50000),
  reject_header_blocks: agg(100, 100, 10000),
  respond_header_blocks: agg(500, 2097152, 104857600),
  request_peers_introducer: agg(100, 100, 10000),
  respond_peers_introducer: agg(100, 1048576, 104857600),
  farm_new_block: agg(200, 200, 40000),
  new_signage_point_harvester: agg(100, 4886, 488600),
  request_plots: agg(10, 10485760, 104857600),
  respond_plots: agg(10, 104857600, 1048576000),
  coin_state_update: agg(1000, 104857600, 104857600000),
  register_for_ph_updates: agg(1000, 104857600, 104857600000),
  respond_to_ph_updates: agg(1000, 104857600, 104857600000),
  register_for_coin_updates: agg(1000, 104857600, 104857600000),
  respond_to_coin_updates: agg(1000, 104857600, 104857600000),
  request_children: agg(2000, 1048576, 2097152000),
  respond_children: agg(2000, 1048576, 2097152000),
  request_ses_hashes: agg(2000, 1048576, 2097152000),
  respond_ses_hashes: agg(2000, 1048576, 2097152000),
  plot_sync_start: agg(1000, 104857600, 104857600000),
  plot_sync_loaded: agg(1000, 104857600, 104857600000),
  plot_sync_removed: agg(1000, 104857600, 104857600000),
  plot_sync_invalid: agg(1000, 104857600, 104857600000),
  plot_sync_keys_missing: agg(1000, 104857600, 104857600000),
  plot_sync_duplicates: agg(1000, 104857600, 104857600000),
  plot_sync_done: agg(1000, 104857600, 104857600000),
  plot_sync_response: agg(3000, 104857600, 314572800000),
  request_block_headers: tx(5000, 100, 500000),
  reject_block_headers: tx(1000, 100, 100000),
  respond_block_headers: tx(5000, 2097152, 10485760000),
  request_fee_estimates: agg(10, 100, 1000),
  respond_fee_estimates: agg(10, 100, 1000),
  none_response: tx(500, 100, 50000),
  new_unfinished_block2: agg(200, 100, 20000),
  request_unfinished_block2: agg(200, 100, 20000),
  request_remove_puzzle_subscriptions: agg(1000, 104857600, 104857600000),
  respond_remove_puzzle_subscriptions: agg(1000, 104857600, 104857600000),
  request_remove_coin_subscriptions: agg(1000, 104857600, 104857600000),
  respond_remove_coin_subscriptions: agg(1000, 104857600, 104857600000),
  request_puzzle_state: agg(1000, 104857600, 104857600000),
  respond_puzzle_state: agg(1000, 104857600, 104857600000),
  reject_puzzle_state: agg(200, 100, 20000),
  request_coin_state: agg(1000, 104857600, 104857600000),
  respond_coin_state: agg(1000, 104857600, 104857600000),
  reject_coin_state: agg(200, 100, 20000),
  mempool_items_added: agg(1000, 104857600, 104857600000),
  mempool_items_removed: agg(1000, 104857600, 104857600000),
  request_cost_info: agg(1000, 100, 100000),
  respond_cost_info: agg(1000, 1024, 1024000),
  solution_response: tx(120, 1024, 122880),
  solve: tx(120, 1024, 122880),
  partial_proofs: tx(120, 3072, 368640),
  configure_window_sizes: agg(5, 1024, 1024),
  plot_sync_loaded2: agg(1000, 104857600, 104857600000),
  respond_plots2: agg(10, 104857600, 1048576000),
  error: tx(50000, 100, 5000000),
}

/** v2 overrides, used when both sides advertise RATE_LIMITS_V2 (capability 3). */
export const RATE_LIMITS_V2_OVERRIDES: { readonly [K in MessageTypeName]?: RateLimitRule } = {
  request_puzzle_solution: tx(5000, 100, 500000),
  respond_puzzle_solution: tx(5000, 1048576, 5242880000),
  reject_puzzle_solution: tx(5000, 100, 500000),
  request_block_header: tx(500, 100, 50000),
  respond_block_header: tx(500, 512000, 256000000),
  reject_header_request: tx(500, 100, 50000),
  request_removals: tx(5000, 51200, 10485760),
  respond_removals: tx(5000, 1048576, 10485760),
  reject_removals_request: tx(500, 100, 50000),
  request_additions: tx(50000, 104857600, 5242880000000),
  respond_additions: tx(50000, 104857600, 5242880000000),
  reject_additions_request: tx(500, 100, 50000),
  request_header_blocks: agg(5000, 100, 500000),
  reject_header_blocks: tx(1000, 100, 100000),
  respond_header_blocks: tx(5000, 2097152, 10485760000),
  request_children: tx(2000, 1048576, 2097152000),
  respond_children: tx(2000, 1048576, 2097152000),
  request_ses_hashes: tx(2000, 1048576, 2097152000),
  respond_ses_hashes: tx(2000, 1048576, 2097152000),
}

/** v3 windows (capability 7): most requests of a type in flight at once; 0 = unlimited (the responses). */
export const RATE_LIMITS_V3_WINDOWS: { readonly [K in MessageTypeName]?: number } = {
  request_proof_of_weight: 2,
  respond_proof_of_weight: 0,
  request_block: 2,
  respond_block: 0,
  reject_block: 0,
  request_blocks: 2,
  respond_blocks: 0,
  reject_blocks: 0,
  request_puzzle_solution: 2,
  respond_puzzle_solution: 0,
  reject_puzzle_solution: 0,
  request_block_header: 2,
  respond_block_header: 0,
  reject_header_request: 0,
  request_removals: 2,
  respond_removals: 0,
  reject_removals_request: 0,
  request_additions: 2,
  respond_additions: 0,
  reject_additions_request: 0,
  request_header_blocks: 2,
  reject_header_blocks: 0,
  respond_header_blocks: 0,
  register_for_ph_updates: 2,
  respond_to_ph_updates: 0,
  register_for_coin_updates: 2,
  respond_to_coin_updates: 0,
  request_block_headers: 2,
  reject_block_headers: 0,
  respond_block_headers: 0,
  request_puzzle_state: 2,
  respond_puzzle_state: 0,
  reject_puzzle_state: 0,
  request_coin_state: 2,
  respond_coin_state: 0,
  reject_coin_state: 0,
}

const toTable = (rules: { readonly [K in MessageTypeName]?: RateLimitRule }): RateLimitTable => {
  const byType = new Map<number, RateLimitRule>()
  for (const name of Object.keys(rules) as Array<MessageTypeName>) byType.set(ProtocolMessageTypes[name], rules[name]!)
  return { rule: (type) => byType.get(type), aggregate: AGGREGATE_LIMIT, windowMillis: RATE_LIMIT_WINDOW_MILLIS }
}

/** The v1 table (either side lacks capability 3). */
export const v1Table: RateLimitTable = toTable(RATE_LIMITS_V1)
/** `{ **rate_limits[1], **rate_limits[2] }` (both sides advertise capability 3). */
export const v2Table: RateLimitTable = toTable({ ...RATE_LIMITS_V1, ...RATE_LIMITS_V2_OVERRIDES })

/** The local v3 windows by type number (what we send in ConfigureWindowSizes and enforce inbound). */
export const v3Windows: ReadonlyMap<number, number> = new Map(
  (Object.keys(RATE_LIMITS_V3_WINDOWS) as Array<MessageTypeName>).map((name) => [
    ProtocolMessageTypes[name],
    RATE_LIMITS_V3_WINDOWS[name]!
  ])
)
