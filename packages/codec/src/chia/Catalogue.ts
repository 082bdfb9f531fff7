/**
 * The Chia message catalogue: message type number ⇄ name ⇄ payload codec for every `ProtocolMessageTypes` entry
 * (chia-messages §A.1), typed messages on top of the raw `Message` envelope, and a class-name ⇄ codec registry.
 *
 * Type 66 (`new_signage_point_harvester`) has two layouts chosen by the harvester's protocol version (§G.4): the number
 * maps to the newest layout, `payloadCodecFor(type, { protocolVersion })` picks the legacy one for old peers. Plot
 * listings and loaded-plot syncs moved to new numbers instead (68 → 113, 79 → 112): see `respondPlotsType` and
 * `plotSyncLoadedType`.
 */
import { Either } from "effect"
import { type Codec, decodeUnsafe, type TypeOf } from "../Codec.js"
import { CodecError } from "../CodecError.js"
import { struct, type StructFields } from "../Combinators.js"
import { decodeFrame, encodePayload, headerSize, MAX_MESSAGE_SIZE, Message } from "./Message.js"
import { isMessageTypeName, messageTypeName, type MessageTypeName, ProtocolMessageTypes } from "./MessageTypes.js"
import * as farmer from "./protocol/farmer.js"
import * as fullNode from "./protocol/fullNode.js"
import * as harvester from "./protocol/harvester.js"
import * as introducer from "./protocol/introducer.js"
import * as pool from "./protocol/pool.js"
import * as shared from "./protocol/shared.js"
import * as simulator from "./protocol/simulator.js"
import * as solver from "./protocol/solver.js"
import * as timelord from "./protocol/timelord.js"
import * as wallet from "./protocol/wallet.js"
import { typeClasses } from "./types/index.js"

/** `none_response` (91) has no class upstream and is never sent; its data would be empty. */
export const NoPayload = struct("NoPayload", {})

// Checks every entry is a codec without widening the entries' types (a `Codec<X>` is not a `Codec<unknown>` to TS).
const codecTable = <T extends StructFields>(table: T): T => table

/** Message name → payload codec (the newest layout). */
export const payloadCodecs = codecTable({
  handshake: shared.Handshake,
  configure_window_sizes: shared.ConfigureWindowSizes,
  harvester_handshake: harvester.HarvesterHandshake,
  new_proof_of_space: harvester.NewProofOfSpace,
  request_signatures: harvester.RequestSignatures,
  respond_signatures: harvester.RespondSignatures,
  partial_proofs: harvester.PartialProofsData,
  new_signage_point: farmer.NewSignagePoint,
  declare_proof_of_space: farmer.DeclareProofOfSpace,
  request_signed_values: farmer.RequestSignedValues,
  signed_values: farmer.SignedValues,
  farming_info: farmer.FarmingInfo,
  new_peak_timelord: timelord.NewPeakTimelord,
  new_unfinished_block_timelord: timelord.NewUnfinishedBlockTimelord,
  new_infusion_point_vdf: timelord.NewInfusionPointVDF,
  new_signage_point_vdf: timelord.NewSignagePointVDF,
  new_end_of_sub_slot_vdf: timelord.NewEndOfSubSlotVDF,
  request_compact_proof_of_time: timelord.RequestCompactProofOfTime,
  respond_compact_proof_of_time: timelord.RespondCompactProofOfTime,
  new_peak: fullNode.NewPeak,
  new_transaction: fullNode.NewTransaction,
  request_transaction: fullNode.RequestTransaction,
  respond_transaction: fullNode.RespondTransaction,
  request_proof_of_weight: fullNode.RequestProofOfWeight,
  respond_proof_of_weight: fullNode.RespondProofOfWeight,
  request_block: fullNode.RequestBlock,
  respond_block: fullNode.RespondBlock,
  reject_block: fullNode.RejectBlock,
  request_blocks: fullNode.RequestBlocks,
  respond_blocks: fullNode.RespondBlocks,
  reject_blocks: fullNode.RejectBlocks,
  new_unfinished_block: fullNode.NewUnfinishedBlock,
  request_unfinished_block: fullNode.RequestUnfinishedBlock,
  respond_unfinished_block: fullNode.RespondUnfinishedBlock,
  new_signage_point_or_end_of_sub_slot: fullNode.NewSignagePointOrEndOfSubSlot,
  request_signage_point_or_end_of_sub_slot: fullNode.RequestSignagePointOrEndOfSubSlot,
  respond_signage_point: fullNode.RespondSignagePoint,
  respond_end_of_sub_slot: fullNode.RespondEndOfSubSlot,
  request_mempool_transactions: fullNode.RequestMempoolTransactions,
  request_compact_vdf: fullNode.RequestCompactVDF,
  respond_compact_vdf: fullNode.RespondCompactVDF,
  new_compact_vdf: fullNode.NewCompactVDF,
  request_peers: fullNode.RequestPeers,
  respond_peers: fullNode.RespondPeers,
  none_response: NoPayload,
  request_puzzle_solution: wallet.RequestPuzzleSolution,
  respond_puzzle_solution: wallet.RespondPuzzleSolution,
  reject_puzzle_solution: wallet.RejectPuzzleSolution,
  send_transaction: wallet.SendTransaction,
  transaction_ack: wallet.TransactionAck,
  new_peak_wallet: wallet.NewPeakWallet,
  request_block_header: wallet.RequestBlockHeader,
  respond_block_header: wallet.RespondBlockHeader,
  reject_header_request: wallet.RejectHeaderRequest,
  request_removals: wallet.RequestRemovals,
  respond_removals: wallet.RespondRemovals,
  reject_removals_request: wallet.RejectRemovalsRequest,
  request_additions: wallet.RequestAdditions,
  respond_additions: wallet.RespondAdditions,
  reject_additions_request: wallet.RejectAdditionsRequest,
  request_header_blocks: wallet.RequestHeaderBlocks,
  reject_header_blocks: wallet.RejectHeaderBlocks,
  respond_header_blocks: wallet.RespondHeaderBlocks,
  request_peers_introducer: introducer.RequestPeersIntroducer,
  respond_peers_introducer: introducer.RespondPeersIntroducer,
  farm_new_block: simulator.FarmNewBlockProtocol,
  new_signage_point_harvester: harvester.NewSignagePointHarvester2,
  request_plots: harvester.RequestPlots,
  respond_plots: harvester.RespondPlots,
  plot_sync_start: harvester.PlotSyncStart,
  plot_sync_loaded: harvester.PlotSyncPlotList,
  plot_sync_removed: harvester.PlotSyncPathList,
  plot_sync_invalid: harvester.PlotSyncPathList,
  plot_sync_keys_missing: harvester.PlotSyncPathList,
  plot_sync_duplicates: harvester.PlotSyncPathList,
  plot_sync_done: harvester.PlotSyncDone,
  plot_sync_response: harvester.PlotSyncResponse,
  coin_state_update: wallet.CoinStateUpdate,
  register_for_ph_updates: wallet.RegisterForPhUpdates,
  respond_to_ph_updates: wallet.RespondToPhUpdates,
  register_for_coin_updates: wallet.RegisterForCoinUpdates,
  respond_to_coin_updates: wallet.RespondToCoinUpdates,
  request_children: wallet.RequestChildren,
  respond_children: wallet.RespondChildren,
  request_ses_hashes: wallet.RequestSESInfo,
  respond_ses_hashes: wallet.RespondSESInfo,
  request_block_headers: wallet.RequestBlockHeaders,
  reject_block_headers: wallet.RejectBlockHeaders,
  respond_block_headers: wallet.RespondBlockHeaders,
  request_fee_estimates: wallet.RequestFeeEstimates,
  respond_fee_estimates: wallet.RespondFeeEstimates,
  new_unfinished_block2: fullNode.NewUnfinishedBlock2,
  request_unfinished_block2: fullNode.RequestUnfinishedBlock2,
  request_remove_puzzle_subscriptions: wallet.RequestRemovePuzzleSubscriptions,
  respond_remove_puzzle_subscriptions: wallet.RespondRemovePuzzleSubscriptions,
  request_remove_coin_subscriptions: wallet.RequestRemoveCoinSubscriptions,
  respond_remove_coin_subscriptions: wallet.RespondRemoveCoinSubscriptions,
  request_puzzle_state: wallet.RequestPuzzleState,
  respond_puzzle_state: wallet.RespondPuzzleState,
  reject_puzzle_state: wallet.RejectPuzzleState,
  request_coin_state: wallet.RequestCoinState,
  respond_coin_state: wallet.RespondCoinState,
  reject_coin_state: wallet.RejectCoinState,
  mempool_items_added: wallet.MempoolItemsAdded,
  mempool_items_removed: wallet.MempoolItemsRemoved,
  request_cost_info: wallet.RequestCostInfo,
  respond_cost_info: wallet.RespondCostInfo,
  solution_response: solver.SolverResponse,
  solve: solver.SolverInfo,
  respond_plots2: harvester.RespondPlots2,
  plot_sync_loaded2: harvester.PlotSyncPlotList2,
  error: shared.Error
}) satisfies { readonly [K in MessageTypeName]: unknown }

/** The older layouts of numbers whose payload class depends on the peer's protocol version. */
export const legacyPayloadCodecs = codecTable({
  /** Sent to harvesters with protocol_version <= 0.0.36. */
  new_signage_point_harvester: harvester.NewSignagePointHarvester
})

export type PayloadCodecs = typeof payloadCodecs
export type LegacyPayloadCodecs = typeof legacyPayloadCodecs

/** A message name (`"request_block"`); every `ProtocolMessageTypes` entry. */
export type MessageName = MessageTypeName
/** The payload value of message `N`: its newest layout, or the legacy one for version-dependent numbers. */
export type PayloadOf<N extends MessageName> =
  TypeOf<PayloadCodecs[N]> | (N extends keyof LegacyPayloadCodecs ? TypeOf<LegacyPayloadCodecs[N]> : never)

/** A decoded message, discriminated by `name` (or `type`). */
export type ChiaMessage = {
  readonly [N in MessageName]: {
    readonly name: N
    readonly type: ProtocolMessageTypes[N]
    readonly id: number | undefined
    readonly payload: PayloadOf<N>
  }
}[MessageName]

/** The message of name `N`. */
export type ChiaMessageOf<N extends MessageName> = Extract<ChiaMessage, { readonly name: N }>

// Codecs erased to one value type for lookups by runtime number/name; each use pairs a codec with its own payload.
type ErasedCodec = Codec<unknown>
const erase = <A>(codec: Codec<A>): ErasedCodec => codec as unknown as ErasedCodec
const erasedPayloads = payloadCodecs as unknown as { readonly [N in MessageName]: ErasedCodec }

// ---------------------------------------------------------------------------------------------------------------------
// Protocol versions

/** Compares dotted version strings numerically (`"0.0.38"` > `"0.0.9"`); missing or non-numeric parts count as 0. */
export const compareProtocolVersions = (a: string, b: string): number => {
  const pa = a.split(".")
  const pb = b.split(".")
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? "0", 10) || 0
    const y = Number.parseInt(pb[i] ?? "0", 10) || 0
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** The protocol version from which harvesters and farmers use the new plot serialisation (`harvester_protocol.py`). */
export const NEW_PLOT_SERIALIZATION_VERSION = "0.0.38"

/** `supports_new_plot_serialization(v)`: `v >= 0.0.38`. */
export const supportsNewPlotSerialization = (protocolVersion: string): boolean =>
  compareProtocolVersions(protocolVersion, NEW_PLOT_SERIALIZATION_VERSION) >= 0

/** The reply number for `request_plots` to a farmer of this version: 113 (`respond_plots2`) or 68 (`respond_plots`). */
export const respondPlotsType = (farmerProtocolVersion: string): 68 | 113 =>
  supportsNewPlotSerialization(farmerProtocolVersion)
    ? ProtocolMessageTypes.respond_plots2
    : ProtocolMessageTypes.respond_plots

/** The loaded-plots sync number for a farmer of this version: 112 (`plot_sync_loaded2`) or 79 (`plot_sync_loaded`). */
export const plotSyncLoadedType = (farmerProtocolVersion: string): 79 | 112 =>
  supportsNewPlotSerialization(farmerProtocolVersion)
    ? ProtocolMessageTypes.plot_sync_loaded2
    : ProtocolMessageTypes.plot_sync_loaded

export interface LayoutOptions {
  /** The protocol_version (from the Handshake) of the peer whose layout applies; omitted = the newest layout. */
  readonly protocolVersion?: string | undefined
}

const codecByName = (name: MessageName, options?: LayoutOptions): ErasedCodec => {
  const version = options?.protocolVersion
  if (version !== undefined && name === "new_signage_point_harvester" && !supportsNewPlotSerialization(version)) {
    return erase(legacyPayloadCodecs.new_signage_point_harvester)
  }
  return erasedPayloads[name]
}

/** The payload codec of a message type number, or `undefined` for numbers not in the catalogue. */
export const payloadCodecFor = (type: number, options?: LayoutOptions): Codec<unknown> | undefined => {
  const name = messageTypeName(type)
  return name === undefined ? undefined : codecByName(name, options)
}

/** The payload codec of a message name (the newest layout unless `options.protocolVersion` says otherwise). */
export const payloadCodecOf = <N extends MessageName>(name: N, options?: LayoutOptions): Codec<PayloadOf<N>> =>
  codecByName(name, options) as unknown as Codec<PayloadOf<N>>

/** The payload class name of a message (`"RequestBlock"` for `"request_block"`). */
export const payloadClassName = (name: MessageName, options?: LayoutOptions): string => codecByName(name, options).name

// ---------------------------------------------------------------------------------------------------------------------
// Typed messages

export interface MessageOptions extends LayoutOptions {
  /** Frames over this size fail with `MessageTooLarge` (default `MAX_MESSAGE_SIZE`, 50 MiB). */
  readonly maxSize?: number | undefined
}

const unknownType = (type: number): CodecError =>
  new CodecError({
    reason: "UnknownMessageType",
    path: "Message.type",
    offset: 0,
    detail: `message type ${type} is not in the catalogue`
  })

/**
 * Decodes a raw envelope's payload with the catalogue. Errors name the payload class in `path`; `offset` counts from
 * the start of the frame (`dataOffset` = where `data` starts in it).
 */
export const decodeEnvelope = (
  raw: Message,
  options?: LayoutOptions,
  dataOffset = headerSize(raw.id)
): Either.Either<ChiaMessage, CodecError> => {
  const name = messageTypeName(raw.type)
  if (name === undefined) return Either.left(unknownType(raw.type))
  const codec = codecByName(name, options)
  try {
    const payload = decodeUnsafe(codec, raw.data)
    return Either.right({ name, type: raw.type, id: raw.id, payload } as ChiaMessage)
  } catch (e) {
    if (e instanceof CodecError) {
      const offset = e.offset < 0 ? e.offset : e.offset + dataOffset
      return Either.left(new CodecError({ reason: e.reason, path: e.path, offset, detail: e.detail }))
    }
    throw e
  }
}

/** Decodes one WebSocket binary frame into a typed message. */
export const decodeMessage = (frame: Uint8Array, options?: MessageOptions): Either.Either<ChiaMessage, CodecError> =>
  Either.flatMap(decodeFrame(frame, options?.maxSize ?? MAX_MESSAGE_SIZE), (raw) => decodeEnvelope(raw, options))

/** Encodes a typed message into one frame (one allocation). */
export const encodeMessage = <N extends MessageName>(
  name: N,
  payload: PayloadOf<N>,
  id?: number,
  options?: MessageOptions
): Either.Either<Uint8Array, CodecError> => {
  if (!isMessageTypeName(name)) return Either.left(unknownType(-1))
  return encodePayload(
    ProtocolMessageTypes[name],
    id,
    codecByName(name, options),
    payload,
    options?.maxSize ?? MAX_MESSAGE_SIZE
  )
}

/** Builds a typed message value (for tests and senders that want the value before encoding). */
export const makeMessage = <N extends MessageName>(name: N, payload: PayloadOf<N>, id?: number): ChiaMessageOf<N> =>
  ({ name, type: ProtocolMessageTypes[name], id, payload }) as unknown as ChiaMessageOf<N>

// ---------------------------------------------------------------------------------------------------------------------
// Classes by name

/**
 * Every class by its reference name: each payload class (incl. the legacy and auxiliary ones in the vectors, and the
 * pool HTTP protocol), every nested type, and the `Message` envelope. Used by `peerwire decode <ClassName>`.
 */
export const classes = codecTable({
  ...typeClasses,
  ...shared.sharedClasses,
  ...fullNode.fullNodeClasses,
  ...introducer.introducerClasses,
  ...timelord.timelordClasses,
  ...wallet.walletClasses,
  ...farmer.farmerClasses,
  ...harvester.harvesterClasses,
  ...pool.poolClasses,
  ...solver.solverClasses,
  ...simulator.simulatorClasses,
  Message
})

export type Classes = typeof classes
export type ClassName = keyof Classes
export type ClassOf<N extends ClassName> = TypeOf<Classes[N]>

export const classNames = Object.keys(classes) as ReadonlyArray<ClassName>

export const isClassName = (name: string): name is ClassName => Object.hasOwn(classes, name)

const erasedClasses = classes as unknown as { readonly [N in ClassName]: ErasedCodec }

/** The codec of a class by its reference name; `UnknownClass` otherwise. */
export const codecForClass = (name: string): Either.Either<Codec<unknown>, CodecError> =>
  isClassName(name)
    ? Either.right(erasedClasses[name])
    : Either.left(
        new CodecError({ reason: "UnknownClass", path: name, offset: -1, detail: `no class named "${name}"` })
      )
