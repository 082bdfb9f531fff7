/** The nested Chia chain types (chia-messages §D.2), each exported as a codec and a value type of the same name. */
export * from "./blocks.js"
export * from "./coin.js"
export * from "./fees.js"
export * from "./foliage.js"
export * from "./peers.js"
export * from "./proofOfSpace.js"
export * from "./rewardChain.js"
export * from "./slots.js"
export * from "./subEpoch.js"
export * from "./vdf.js"
export * from "./weightProof.js"

import { FullBlock, HeaderBlock, UnfinishedBlock, UnfinishedHeaderBlock } from "./blocks.js"
import { Coin, CoinSpend, CoinState, SpendBundle } from "./coin.js"
import { FeeEstimate, FeeEstimateGroup, FeeRate } from "./fees.js"
import { Foliage, FoliageBlockData, FoliageTransactionBlock, PoolTarget, TransactionsInfo } from "./foliage.js"
import { PeerInfo, TimestampedPeerInfo } from "./peers.js"
import { PartialProof, ProofOfSpace } from "./proofOfSpace.js"
import { RewardChainBlock, RewardChainBlockUnfinished } from "./rewardChain.js"
import {
  ChallengeBlockInfo,
  ChallengeChainSubSlot,
  EndOfSubSlotBundle,
  InfusedChallengeChainSubSlot,
  RewardChainSubSlot,
  SubSlotProofs
} from "./slots.js"
import { SubEpochData, SubEpochSummary } from "./subEpoch.js"
import { ClassgroupElement, VDFInfo, VDFProof } from "./vdf.js"
import { RecentChainData, SubEpochChallengeSegment, SubSlotData, WeightProof } from "./weightProof.js"

/** Every nested type by its reference class name. */
export const typeClasses = {
  Coin,
  CoinState,
  CoinSpend,
  SpendBundle,
  PoolTarget,
  ClassgroupElement,
  VDFInfo,
  VDFProof,
  PartialProof,
  ProofOfSpace,
  RewardChainBlockUnfinished,
  RewardChainBlock,
  FoliageBlockData,
  Foliage,
  FoliageTransactionBlock,
  TransactionsInfo,
  ChallengeBlockInfo,
  ChallengeChainSubSlot,
  InfusedChallengeChainSubSlot,
  RewardChainSubSlot,
  SubSlotProofs,
  EndOfSubSlotBundle,
  SubEpochSummary,
  SubEpochData,
  HeaderBlock,
  UnfinishedHeaderBlock,
  FullBlock,
  UnfinishedBlock,
  SubSlotData,
  SubEpochChallengeSegment,
  WeightProof,
  RecentChainData,
  PeerInfo,
  TimestampedPeerInfo,
  FeeRate,
  FeeEstimate,
  FeeEstimateGroup
} as const
