/**
 * Which replies a request accepts (chia-messages §C, `chia/protocols/protocol_state_machine.py`), at the value level
 * and at the type level.
 */
import type { MessageTypeName } from "./MessageTypes.js"
import { NO_REPLY_EXPECTED } from "./MessageTypes.js"

type ReplyMap = { readonly [K in MessageTypeName]?: ReadonlyArray<MessageTypeName> }

/**
 * `VALID_REPLY_MESSAGE_MAP`: a request in this map accepts only these reply types; any other reply makes the requester
 * close with INVALID_PROTOCOL_MESSAGE. An `error` (255) reply is handled before this check.
 */
export const VALID_REPLY_MESSAGE_MAP = {
  request_transaction: ["respond_transaction"],
  request_proof_of_weight: ["respond_proof_of_weight"],
  request_block: ["respond_block", "reject_block"],
  request_blocks: ["respond_blocks", "reject_blocks"],
  request_unfinished_block: ["respond_unfinished_block"],
  request_unfinished_block2: ["respond_unfinished_block"],
  request_block_header: ["respond_block_header", "reject_header_request"],
  request_removals: ["respond_removals", "reject_removals_request"],
  request_additions: ["respond_additions", "reject_additions_request"],
  request_signage_point_or_end_of_sub_slot: ["respond_signage_point", "respond_end_of_sub_slot"],
  request_compact_vdf: ["respond_compact_vdf"],
  request_peers: ["respond_peers"],
  request_header_blocks: ["respond_header_blocks", "reject_header_blocks", "reject_block_headers"],
  register_for_ph_updates: ["respond_to_ph_updates"],
  register_for_coin_updates: ["respond_to_coin_updates"],
  request_children: ["respond_children"],
  request_ses_hashes: ["respond_ses_hashes"],
  request_block_headers: ["respond_block_headers", "reject_block_headers", "reject_header_blocks"],
  request_peers_introducer: ["respond_peers_introducer"],
  request_puzzle_solution: ["respond_puzzle_solution", "reject_puzzle_solution"],
  send_transaction: ["transaction_ack"],
  request_remove_puzzle_subscriptions: ["respond_remove_puzzle_subscriptions"],
  request_remove_coin_subscriptions: ["respond_remove_coin_subscriptions"],
  request_puzzle_state: ["respond_puzzle_state", "reject_puzzle_state"],
  request_coin_state: ["respond_coin_state", "reject_coin_state"],
  request_cost_info: ["respond_cost_info"]
} as const satisfies ReplyMap

/**
 * Request/reply pairs declared only in the handlers' `reply_types` (not checked by the state machine, so any reply is
 * accepted for them on the wire). `request_plots` is answered with 68 or 113 depending on the farmer's version.
 * `request_signed_values` is left out: the farmer answers with a separate, unsolicited `signed_values`.
 */
export const EXTRA_REPLY_TYPES = {
  request_signatures: ["respond_signatures"],
  request_fee_estimates: ["respond_fee_estimates"],
  solve: ["solution_response"],
  request_plots: ["respond_plots", "respond_plots2"]
} as const satisfies ReplyMap

export type ReplyMapRequest = keyof typeof VALID_REPLY_MESSAGE_MAP
export type ExtraReplyRequest = keyof typeof EXTRA_REPLY_TYPES

/**
 * The reply names a request expects: from the state machine's map, else from the handlers' `reply_types`, else any
 * message type (as upstream, which accepts anything for requests outside the map).
 */
export type ResponseOf<N extends MessageTypeName> = N extends ReplyMapRequest
  ? (typeof VALID_REPLY_MESSAGE_MAP)[N][number]
  : N extends ExtraReplyRequest
    ? (typeof EXTRA_REPLY_TYPES)[N][number]
    : MessageTypeName

/** Requests whose replies are known by name (the state machine's map plus the `reply_types` pairs). */
export type KnownRequest = ReplyMapRequest | ExtraReplyRequest

const validReplies: ReplyMap = VALID_REPLY_MESSAGE_MAP
const extraReplies: ReplyMap = EXTRA_REPLY_TYPES

/** `message_response_ok`: is `reply` acceptable for `request` (any reply is, for requests not in the map)? */
export const isValidReply = (request: MessageTypeName, reply: MessageTypeName): boolean => {
  const allowed = validReplies[request]
  return allowed === undefined || allowed.includes(reply)
}

/** The reply names expected for `request`, or `undefined` when any reply is accepted. */
export const expectedReplies = (request: MessageTypeName): ReadonlyArray<MessageTypeName> | undefined =>
  validReplies[request] ?? extraReplies[request]

/** True for fire-and-forget messages (`NO_REPLY_EXPECTED`). */
export const isNoReplyExpected = (name: MessageTypeName): boolean => NO_REPLY_EXPECTED.has(name)
