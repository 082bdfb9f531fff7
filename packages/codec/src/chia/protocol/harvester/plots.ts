/**
 * Harvester protocol: plot listings and plot sync (`chia/protocols/harvester_protocol.py`, messages 67, 68, 78–85,
 * 112, 113). `Plot`/`RespondPlots`/`PlotSyncPlotList` go to farmers below protocol_version 0.0.38, the `…2` forms to
 * newer ones (§G.4).
 */
import type { TypeOf } from "../../../Codec.js"
import { list, optional, struct } from "../../../Combinators.js"
import { bool, bytes32, G1Element, int16, str, uint16, uint32, uint64, uint8 } from "../../../Primitives.js"

/** `size`: the k-size of a v1 plot; for a v2 plot bit 0x80 is set and strength = size & 0x7f. */
export const Plot = struct("Plot", {
  filename: str,
  size: uint8,
  plot_id: bytes32,
  pool_public_key: optional(G1Element),
  pool_contract_puzzle_hash: optional(bytes32),
  plot_public_key: G1Element,
  file_size: uint64,
  time_modified: uint64,
  compression_level: optional(uint8)
})
export type Plot = TypeOf<typeof Plot>

export const Plot2 = struct("Plot2", {
  filename: str,
  size: uint8,
  plot_id: bytes32,
  pool_public_key: optional(G1Element),
  pool_contract_puzzle_hash: optional(bytes32),
  plot_public_key: G1Element,
  file_size: uint64,
  time_modified: uint64,
  compression_level: optional(uint8),
  plot_index: uint16,
  meta_group: uint8
})
export type Plot2 = TypeOf<typeof Plot2>

export const RequestPlots = struct("RequestPlots", {})
export type RequestPlots = TypeOf<typeof RequestPlots>

export const RespondPlots = struct("RespondPlots", {
  plots: list(Plot),
  failed_to_open_filenames: list(str),
  no_key_filenames: list(str)
})
export type RespondPlots = TypeOf<typeof RespondPlots>

export const RespondPlots2 = struct("RespondPlots2", {
  plots: list(Plot2),
  failed_to_open_filenames: list(str),
  no_key_filenames: list(str)
})
export type RespondPlots2 = TypeOf<typeof RespondPlots2>

export const PlotSyncIdentifier = struct("PlotSyncIdentifier", {
  timestamp: uint64,
  sync_id: uint64,
  message_id: uint64
})
export type PlotSyncIdentifier = TypeOf<typeof PlotSyncIdentifier>

/** `harvesting_mode`: HarvestingMode (1 CPU, 2 GPU), a plain uint8 on the wire. */
export const PlotSyncStart = struct("PlotSyncStart", {
  identifier: PlotSyncIdentifier,
  initial: bool,
  last_sync_id: uint64,
  plot_file_count: uint32,
  harvesting_mode: uint8
})
export type PlotSyncStart = TypeOf<typeof PlotSyncStart>

export const PlotSyncPathList = struct("PlotSyncPathList", {
  identifier: PlotSyncIdentifier,
  data: list(str),
  final: bool
})
export type PlotSyncPathList = TypeOf<typeof PlotSyncPathList>

export const PlotSyncPlotList = struct("PlotSyncPlotList", {
  identifier: PlotSyncIdentifier,
  data: list(Plot),
  final: bool
})
export type PlotSyncPlotList = TypeOf<typeof PlotSyncPlotList>

export const PlotSyncPlotList2 = struct("PlotSyncPlotList2", {
  identifier: PlotSyncIdentifier,
  data: list(Plot2),
  final: bool
})
export type PlotSyncPlotList2 = TypeOf<typeof PlotSyncPlotList2>

export const PlotSyncDone = struct("PlotSyncDone", { identifier: PlotSyncIdentifier, duration: uint64 })
export type PlotSyncDone = TypeOf<typeof PlotSyncDone>

/** `code`: ErrorCodes number, a plain int16 on the wire. */
export const PlotSyncError = struct("PlotSyncError", {
  code: int16,
  message: str,
  expected_identifier: optional(PlotSyncIdentifier)
})
export type PlotSyncError = TypeOf<typeof PlotSyncError>

/** `message_type`: the ProtocolMessageTypes value being acknowledged, a plain int16. */
export const PlotSyncResponse = struct("PlotSyncResponse", {
  identifier: PlotSyncIdentifier,
  message_type: int16,
  error: optional(PlotSyncError)
})
export type PlotSyncResponse = TypeOf<typeof PlotSyncResponse>
