/**
 * The wallet protocol (wallet <-> full node), `chia/protocols/wallet_protocol.py`: every payload class and the
 * wallet-only types they carry. The nested chain types (Coin, CoinState, SpendBundle, HeaderBlock, the fee estimate
 * types) live in `../types`.
 */
import {
  NewPeakWallet,
  RejectAdditionsRequest,
  RejectBlockHeaders,
  RejectHeaderBlocks,
  RejectHeaderRequest,
  RejectRemovalsRequest,
  RequestAdditions,
  RequestBlockHeader,
  RequestBlockHeaders,
  RequestHeaderBlocks,
  RequestRemovals,
  RespondAdditions,
  RespondBlockHeader,
  RespondBlockHeaders,
  RespondHeaderBlocks,
  RespondRemovals
} from "./wallet/blocks.js"
import {
  MempoolItemsAdded,
  MempoolItemsRemoved,
  RemovedMempoolItem,
  RequestCostInfo,
  RequestFeeEstimates,
  RespondCostInfo,
  RespondFeeEstimates
} from "./wallet/mempool.js"
import {
  PuzzleSolutionResponse,
  RejectPuzzleSolution,
  RequestPuzzleSolution,
  RespondPuzzleSolution,
  SendTransaction,
  TransactionAck
} from "./wallet/puzzles.js"
import {
  CoinStateFilters,
  RejectCoinState,
  RejectPuzzleState,
  RequestCoinState,
  RequestPuzzleState,
  RespondCoinState,
  RespondPuzzleState
} from "./wallet/state.js"
import {
  CoinStateUpdate,
  RegisterForCoinUpdates,
  RegisterForPhUpdates,
  RequestChildren,
  RequestRemoveCoinSubscriptions,
  RequestRemovePuzzleSubscriptions,
  RequestSESInfo,
  RespondChildren,
  RespondRemoveCoinSubscriptions,
  RespondRemovePuzzleSubscriptions,
  RespondSESInfo,
  RespondToCoinUpdates,
  RespondToPhUpdates
} from "./wallet/subscriptions.js"

export * from "./wallet/blocks.js"
export * from "./wallet/mempool.js"
export * from "./wallet/puzzles.js"
export * from "./wallet/state.js"
export * from "./wallet/subscriptions.js"

/** Every wallet class by its reference name (messages and the wallet-only nested types), in the reference's order. */
export const walletClasses = {
  RequestPuzzleSolution,
  PuzzleSolutionResponse,
  RespondPuzzleSolution,
  RejectPuzzleSolution,
  SendTransaction,
  TransactionAck,
  NewPeakWallet,
  RequestBlockHeader,
  RespondBlockHeader,
  RejectHeaderRequest,
  RequestRemovals,
  RespondRemovals,
  RejectRemovalsRequest,
  RequestAdditions,
  RespondAdditions,
  RejectAdditionsRequest,
  RequestHeaderBlocks,
  RejectHeaderBlocks,
  RespondHeaderBlocks,
  RequestBlockHeaders,
  RejectBlockHeaders,
  RespondBlockHeaders,
  RegisterForPhUpdates,
  RespondToPhUpdates,
  RegisterForCoinUpdates,
  RespondToCoinUpdates,
  CoinStateUpdate,
  RequestChildren,
  RespondChildren,
  RequestSESInfo,
  RespondSESInfo,
  RequestFeeEstimates,
  RespondFeeEstimates,
  RequestRemovePuzzleSubscriptions,
  RespondRemovePuzzleSubscriptions,
  RequestRemoveCoinSubscriptions,
  RespondRemoveCoinSubscriptions,
  CoinStateFilters,
  RequestPuzzleState,
  RespondPuzzleState,
  RejectPuzzleState,
  RequestCoinState,
  RespondCoinState,
  RejectCoinState,
  RemovedMempoolItem,
  MempoolItemsAdded,
  MempoolItemsRemoved,
  RequestCostInfo,
  RespondCostInfo
} as const
