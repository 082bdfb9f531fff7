/**
 * Chia message type numbers, node types and capabilities (chia-messages §A, §B.3, §B.4, §C), as plain constant objects
 * so that names and numbers are usable both as values and as literal types.
 */

/** `ProtocolMessageTypes` (`chia/protocols/protocol_message_types.py`), name → number, in source order. */
export const ProtocolMessageTypes = {
  // Shared protocol (all services)
  handshake: 1,
  configure_window_sizes: 111,
  // Harvester protocol (harvester <-> farmer); 4 is retired (now 66)
  harvester_handshake: 3,
  new_proof_of_space: 5,
  request_signatures: 6,
  respond_signatures: 7,
  partial_proofs: 110,
  // Farmer protocol (farmer <-> full node)
  new_signage_point: 8,
  declare_proof_of_space: 9,
  request_signed_values: 10,
  signed_values: 11,
  farming_info: 12,
  // Timelord protocol (timelord <-> full node)
  new_peak_timelord: 13,
  new_unfinished_block_timelord: 14,
  new_infusion_point_vdf: 15,
  new_signage_point_vdf: 16,
  new_end_of_sub_slot_vdf: 17,
  request_compact_proof_of_time: 18,
  respond_compact_proof_of_time: 19,
  // Full node protocol (full node <-> full node)
  new_peak: 20,
  new_transaction: 21,
  request_transaction: 22,
  respond_transaction: 23,
  request_proof_of_weight: 24,
  respond_proof_of_weight: 25,
  request_block: 26,
  respond_block: 27,
  reject_block: 28,
  request_blocks: 29,
  respond_blocks: 30,
  reject_blocks: 31,
  new_unfinished_block: 32,
  request_unfinished_block: 33,
  respond_unfinished_block: 34,
  new_signage_point_or_end_of_sub_slot: 35,
  request_signage_point_or_end_of_sub_slot: 36,
  respond_signage_point: 37,
  respond_end_of_sub_slot: 38,
  request_mempool_transactions: 39,
  request_compact_vdf: 40,
  respond_compact_vdf: 41,
  new_compact_vdf: 42,
  request_peers: 43,
  respond_peers: 44,
  none_response: 91,
  // Wallet protocol (wallet <-> full node)
  request_puzzle_solution: 45,
  respond_puzzle_solution: 46,
  reject_puzzle_solution: 47,
  send_transaction: 48,
  transaction_ack: 49,
  new_peak_wallet: 50,
  request_block_header: 51,
  respond_block_header: 52,
  reject_header_request: 53,
  request_removals: 54,
  respond_removals: 55,
  reject_removals_request: 56,
  request_additions: 57,
  respond_additions: 58,
  reject_additions_request: 59,
  request_header_blocks: 60,
  reject_header_blocks: 61,
  respond_header_blocks: 62,
  // Introducer protocol (introducer <-> full node)
  request_peers_introducer: 63,
  respond_peers_introducer: 64,
  // Simulator protocol
  farm_new_block: 65,
  // New harvester protocol
  new_signage_point_harvester: 66,
  request_plots: 67,
  respond_plots: 68,
  plot_sync_start: 78,
  plot_sync_loaded: 79,
  plot_sync_removed: 80,
  plot_sync_invalid: 81,
  plot_sync_keys_missing: 82,
  plot_sync_duplicates: 83,
  plot_sync_done: 84,
  plot_sync_response: 85,
  // More wallet protocol
  coin_state_update: 69,
  register_for_ph_updates: 70,
  respond_to_ph_updates: 71,
  register_for_coin_updates: 72,
  respond_to_coin_updates: 73,
  request_children: 74,
  respond_children: 75,
  request_ses_hashes: 76,
  respond_ses_hashes: 77,
  request_block_headers: 86,
  reject_block_headers: 87,
  respond_block_headers: 88,
  request_fee_estimates: 89,
  respond_fee_estimates: 90,
  // New full node protocol messages
  new_unfinished_block2: 92,
  request_unfinished_block2: 93,
  // New wallet sync protocol
  request_remove_puzzle_subscriptions: 94,
  respond_remove_puzzle_subscriptions: 95,
  request_remove_coin_subscriptions: 96,
  respond_remove_coin_subscriptions: 97,
  request_puzzle_state: 98,
  respond_puzzle_state: 99,
  reject_puzzle_state: 100,
  request_coin_state: 101,
  respond_coin_state: 102,
  reject_coin_state: 103,
  // Wallet protocol mempool updates
  mempool_items_added: 104,
  mempool_items_removed: 105,
  request_cost_info: 106,
  respond_cost_info: 107,
  // New farmer protocol messages
  solution_response: 108,
  // Solver protocol (and later additions)
  solve: 109,
  respond_plots2: 113,
  plot_sync_loaded2: 112,
  error: 255
} as const

export type ProtocolMessageTypes = typeof ProtocolMessageTypes
/** A message type name (`"request_block"`). */
export type MessageTypeName = keyof ProtocolMessageTypes
/** A message type number (`26`). */
export type MessageTypeNumber = ProtocolMessageTypes[MessageTypeName]
/** The name of message type number `N`. */
export type MessageTypeNameOf<N extends number> = {
  [K in MessageTypeName]: ProtocolMessageTypes[K] extends N ? K : never
}[MessageTypeName]

export const messageTypeNames = Object.keys(ProtocolMessageTypes) as ReadonlyArray<MessageTypeName>

const byNumber = new Map<number, MessageTypeName>(messageTypeNames.map((name) => [ProtocolMessageTypes[name], name]))

/** Number → name; `undefined` for numbers that were never assigned (0, 2, 4, 114..254). */
export const messageTypeName = (type: number): MessageTypeName | undefined => byNumber.get(type)

export const isMessageTypeName = (name: string): name is MessageTypeName => Object.hasOwn(ProtocolMessageTypes, name)

// ---------------------------------------------------------------------------------------------------------------------
// Node types and capabilities

/** `NodeType` (`chia/protocols/outbound_message.py`). */
export const NodeType = {
  FULL_NODE: 1,
  HARVESTER: 2,
  FARMER: 3,
  TIMELORD: 4,
  INTRODUCER: 5,
  WALLET: 6,
  DATA_LAYER: 7,
  SOLVER: 8
} as const
export type NodeType = (typeof NodeType)[keyof typeof NodeType]
export type NodeTypeName = keyof typeof NodeType

const nodeTypeNames = new Map<number, NodeTypeName>(
  (Object.keys(NodeType) as ReadonlyArray<NodeTypeName>).map((name) => [NodeType[name], name])
)
export const nodeTypeName = (value: number): NodeTypeName | undefined => nodeTypeNames.get(value)
export const isNodeType = (value: number): value is NodeType => nodeTypeNames.has(value)

/** `Capability` (`chia/server/capabilities.py`), sent as uint16 in the handshake with "1" = enabled. */
export const Capability = {
  BASE: 1,
  BLOCK_HEADERS: 2,
  RATE_LIMITS_V2: 3,
  /** Removed upstream; the code that used it is commented out. */
  NONE_RESPONSE: 4,
  MEMPOOL_UPDATES: 5,
  HARD_FORK_2: 6,
  RATE_LIMITS_V3: 7
} as const
export type Capability = (typeof Capability)[keyof typeof Capability]

// ---------------------------------------------------------------------------------------------------------------------
// Allowed senders (`chia/protocols/protocol_message_type_to_node_type.py`)

/** Who may send a message unsolicited: `"any"` node type, or the listed ones (none for `none_response`). */
export type Senders = "any" | ReadonlyArray<NodeType>

const { FARMER, FULL_NODE, HARVESTER, INTRODUCER, SOLVER, TIMELORD, WALLET } = NodeType

export const allowedSenders: { readonly [K in MessageTypeName]: Senders } = {
  handshake: "any",
  configure_window_sizes: "any",
  error: "any",
  harvester_handshake: [FARMER],
  new_proof_of_space: [HARVESTER],
  request_signatures: [FARMER],
  respond_signatures: [HARVESTER],
  partial_proofs: [HARVESTER],
  new_signage_point: [FULL_NODE],
  declare_proof_of_space: [FARMER],
  request_signed_values: [FULL_NODE],
  signed_values: [FARMER],
  farming_info: [HARVESTER],
  new_peak_timelord: [FULL_NODE],
  new_unfinished_block_timelord: [FULL_NODE],
  new_infusion_point_vdf: [TIMELORD],
  new_signage_point_vdf: [TIMELORD],
  new_end_of_sub_slot_vdf: [TIMELORD],
  request_compact_proof_of_time: [FULL_NODE],
  respond_compact_proof_of_time: [TIMELORD],
  new_peak: [FULL_NODE],
  new_transaction: [FULL_NODE],
  request_transaction: [FULL_NODE],
  respond_transaction: [FULL_NODE],
  request_proof_of_weight: [WALLET, FULL_NODE],
  respond_proof_of_weight: [FULL_NODE],
  request_block: [FULL_NODE],
  respond_block: [FULL_NODE],
  reject_block: [FULL_NODE],
  request_blocks: [FULL_NODE],
  respond_blocks: [FULL_NODE],
  reject_blocks: [FULL_NODE],
  new_unfinished_block: [FULL_NODE],
  request_unfinished_block: [FULL_NODE],
  respond_unfinished_block: [FULL_NODE],
  new_signage_point_or_end_of_sub_slot: [FULL_NODE],
  request_signage_point_or_end_of_sub_slot: [FULL_NODE],
  respond_signage_point: [FULL_NODE],
  respond_end_of_sub_slot: [FULL_NODE],
  request_mempool_transactions: [FULL_NODE],
  request_compact_vdf: [FULL_NODE],
  respond_compact_vdf: [FULL_NODE],
  new_compact_vdf: [FULL_NODE],
  request_peers: [WALLET, FULL_NODE],
  respond_peers: [FULL_NODE],
  none_response: [],
  request_puzzle_solution: [WALLET],
  respond_puzzle_solution: [FULL_NODE],
  reject_puzzle_solution: [FULL_NODE],
  send_transaction: [WALLET],
  transaction_ack: [FULL_NODE],
  new_peak_wallet: [FULL_NODE],
  request_block_header: [WALLET],
  respond_block_header: [FULL_NODE],
  reject_header_request: [FULL_NODE],
  request_removals: [WALLET],
  respond_removals: [FULL_NODE],
  reject_removals_request: [FULL_NODE],
  request_additions: [WALLET],
  respond_additions: [FULL_NODE],
  reject_additions_request: [FULL_NODE],
  request_header_blocks: [WALLET],
  reject_header_blocks: [FULL_NODE],
  respond_header_blocks: [FULL_NODE],
  request_peers_introducer: [WALLET, FARMER, FULL_NODE],
  respond_peers_introducer: [INTRODUCER],
  farm_new_block: [FULL_NODE],
  new_signage_point_harvester: [FARMER],
  request_plots: [FARMER],
  respond_plots: [HARVESTER],
  plot_sync_start: [HARVESTER],
  plot_sync_loaded: [HARVESTER],
  plot_sync_removed: [HARVESTER],
  plot_sync_invalid: [HARVESTER],
  plot_sync_keys_missing: [HARVESTER],
  plot_sync_duplicates: [HARVESTER],
  plot_sync_done: [HARVESTER],
  plot_sync_response: [FARMER],
  coin_state_update: [FULL_NODE],
  register_for_ph_updates: [WALLET],
  respond_to_ph_updates: [FULL_NODE],
  register_for_coin_updates: [WALLET],
  respond_to_coin_updates: [FULL_NODE],
  request_children: [WALLET],
  respond_children: [FULL_NODE],
  request_ses_hashes: [WALLET],
  respond_ses_hashes: [FULL_NODE],
  request_block_headers: [WALLET],
  reject_block_headers: [FULL_NODE],
  respond_block_headers: [FULL_NODE],
  request_fee_estimates: [WALLET],
  respond_fee_estimates: [FULL_NODE],
  new_unfinished_block2: [FULL_NODE],
  request_unfinished_block2: [FULL_NODE],
  request_remove_puzzle_subscriptions: [WALLET],
  respond_remove_puzzle_subscriptions: [FULL_NODE],
  request_remove_coin_subscriptions: [WALLET],
  respond_remove_coin_subscriptions: [FULL_NODE],
  request_puzzle_state: [WALLET],
  respond_puzzle_state: [FULL_NODE],
  reject_puzzle_state: [FULL_NODE],
  request_coin_state: [WALLET],
  respond_coin_state: [FULL_NODE],
  reject_coin_state: [FULL_NODE],
  mempool_items_added: [FULL_NODE],
  mempool_items_removed: [FULL_NODE],
  request_cost_info: [WALLET],
  respond_cost_info: [FULL_NODE],
  solution_response: [SOLVER],
  solve: [FARMER],
  respond_plots2: [HARVESTER],
  plot_sync_loaded2: [HARVESTER]
}

/**
 * True when a node of type `sender` may send `name` unsolicited. Replies matched to the receiver's own requests by id
 * skip this check upstream (`_api_call`); a failed check closes with INVALID_PROTOCOL_MESSAGE.
 */
export const isAllowedSender = (name: MessageTypeName, sender: number): boolean => {
  const senders = allowedSenders[name]
  return senders === "any" || senders.some((t) => t === sender)
}

/** Fire-and-forget messages (`NO_REPLY_EXPECTED` in `protocol_state_machine.py`). */
export const NO_REPLY_EXPECTED: ReadonlySet<MessageTypeName> = new Set<MessageTypeName>([
  "new_peak",
  "new_transaction",
  "new_unfinished_block",
  "new_unfinished_block2",
  "new_signage_point_or_end_of_sub_slot",
  "request_mempool_transactions",
  "new_compact_vdf",
  "coin_state_update",
  "mempool_items_added",
  "mempool_items_removed"
])
