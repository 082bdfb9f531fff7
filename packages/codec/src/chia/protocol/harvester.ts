/**
 * The harvester protocol (harvester <-> farmer), `chia/protocols/harvester_protocol.py`: every payload class and the
 * harvester-only types they carry.
 */
import {
  Plot,
  Plot2,
  PlotSyncDone,
  PlotSyncError,
  PlotSyncIdentifier,
  PlotSyncPathList,
  PlotSyncPlotList,
  PlotSyncPlotList2,
  PlotSyncResponse,
  PlotSyncStart,
  RequestPlots,
  RespondPlots,
  RespondPlots2
} from "./harvester/plots.js"
import {
  HarvesterHandshake,
  NewProofOfSpace,
  NewSignagePointHarvester,
  NewSignagePointHarvester2,
  PartialProofsData,
  PoolDifficulty,
  ProofOfSpaceFeeInfo,
  RequestSignatures,
  RespondSignatures,
  SignatureRequestSourceData
} from "./harvester/proofs.js"

export * from "./harvester/plots.js"
export * from "./harvester/proofs.js"

/** Every harvester class by its reference name (messages and harvester-only nested types), in the reference's order. */
export const harvesterClasses = {
  HarvesterHandshake,
  PoolDifficulty,
  NewSignagePointHarvester,
  NewSignagePointHarvester2,
  ProofOfSpaceFeeInfo,
  NewProofOfSpace,
  PartialProofsData,
  SignatureRequestSourceData,
  RequestSignatures,
  RespondSignatures,
  Plot,
  Plot2,
  RequestPlots,
  RespondPlots,
  RespondPlots2,
  PlotSyncIdentifier,
  PlotSyncStart,
  PlotSyncPathList,
  PlotSyncPlotList,
  PlotSyncPlotList2,
  PlotSyncDone,
  PlotSyncError,
  PlotSyncResponse
} as const
