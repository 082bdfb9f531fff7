/**
 * The `Chain` service: the chain data the node's protocol handlers (`FullNodeApi`) answer from. The default chain holds
 * nothing, so the node answers like a reference node that lacks the data (rejects, empty responses). A user provides
 * their own: blocks from a file (`fromBlocks`), a proxy to an upstream node, a database.
 */
import type { Effect } from "effect"
import { Context, Effect as E, Layer, Option } from "effect"
import type { FeeEstimateGroup } from "@peerwire/codec/chia/types/fees"
import type { FullBlock, HeaderBlock } from "@peerwire/codec/chia/types/blocks"
import type { SpendBundle } from "@peerwire/codec/chia/types/coin"
import type { RespondCostInfo } from "@peerwire/codec/chia/protocol/wallet/mempool"
import type { TransactionAck } from "@peerwire/codec/chia/protocol/wallet/puzzles"

export interface ChainShape {
  /** The block at `height`; with `includeTransactionBlock` false a chain may leave out the generator (the reference does). */
  readonly block: (height: number, includeTransactionBlock: boolean) => Effect.Effect<Option.Option<FullBlock>>
  /** The header block at `height` (with its transactions filter). */
  readonly headerBlock: (height: number) => Effect.Effect<Option.Option<HeaderBlock>>
  /** `respond_cost_info`: the mempool's cost limits and load. */
  readonly costInfo: Effect.Effect<RespondCostInfo>
  /** `respond_fee_estimates` for the requested time targets (Unix seconds). */
  readonly feeEstimates: (timeTargets: ReadonlyArray<bigint>) => Effect.Effect<FeeEstimateGroup>
  /** `send_transaction`: what to acknowledge; `txid` is the bundle's name (SHA-256 of its serialisation). */
  readonly submitTransaction: (bundle: SpendBundle, txid: Uint8Array) => Effect.Effect<TransactionAck>
}

export class Chain extends Context.Tag("@peerwire/node/Chain")<Chain, ChainShape>() {}

/** `MAX_BLOCK_COST_CLVM` (mainnet consensus constant). */
export const MAX_BLOCK_COST_CLVM = 11_000_000_000n
/** `COST_PER_BYTE` (mainnet consensus constant). */
export const COST_PER_BYTE = 12_000n
/** The block generator's wrapping quote: 2 bytes plus its execution cost (`QUOTE_BYTES`, `QUOTE_EXECUTION_COST`). */
export const BLOCK_OVERHEAD = 2n * COST_PER_BYTE + 20n
/** `MEMPOOL_BLOCK_BUFFER`: the mempool holds this many blocks' worth of cost. */
export const MEMPOOL_BLOCK_BUFFER = 10n
/**
 * The reference mempool's limits for an empty mempool (checked against chia-blockchain 2.7.5 `MempoolManager`): half a
 * block per transaction, a block less the generator's quote overhead, ten blocks in the mempool.
 */
export const EMPTY_MEMPOOL_COST_INFO: RespondCostInfo = {
  max_transaction_cost: MAX_BLOCK_COST_CLVM / 2n,
  max_block_cost: MAX_BLOCK_COST_CLVM - BLOCK_OVERHEAD,
  max_mempool_cost: MAX_BLOCK_COST_CLVM * MEMPOOL_BLOCK_BUFFER,
  mempool_cost: 0n,
  mempool_fee: 0n,
  bump_fee_per_cost: 5
}

/** `MempoolInclusionStatus`. */
export const MempoolInclusionStatus = { SUCCESS: 1, PENDING: 2, FAILED: 3 } as const

/** The reference's answer to `send_transaction` while it is not synced (an `Err` name, as it sends it). */
export const NOT_SYNCED_ERROR = "NO_TRANSACTIONS_WHILE_SYNCING"

/** A chain that holds nothing: no blocks, an empty mempool, every transaction refused as "not synced". */
export const empty: ChainShape = {
  block: () => E.succeed(Option.none()),
  headerBlock: () => E.succeed(Option.none()),
  costInfo: E.succeed(EMPTY_MEMPOOL_COST_INFO),
  // An empty fee estimator answers a zero rate for every target, without error.
  feeEstimates: (timeTargets) =>
    E.succeed({
      error: undefined,
      estimates: timeTargets.map((time_target) => ({
        error: undefined,
        time_target,
        estimated_fee_rate: { mojos_per_clvm_cost: 0n }
      }))
    }),
  submitTransaction: (_bundle, txid) =>
    E.succeed({ txid, status: MempoolInclusionStatus.FAILED, error: NOT_SYNCED_ERROR })
}

/** A chain with some parts of `empty` replaced. */
export const make = (parts: Partial<ChainShape> = {}): ChainShape => ({ ...empty, ...parts })

/** A chain serving the given blocks by height (e.g. decoded from a file); everything else as `empty`. */
export const fromBlocks = (blocks: Iterable<FullBlock>, parts: Partial<ChainShape> = {}): ChainShape => {
  const byHeight = new Map<number, FullBlock>()
  for (const block of blocks) byHeight.set(block.reward_chain_block.height, block)
  return make({
    block: (height) => E.succeed(Option.fromNullable(byHeight.get(height))),
    ...parts
  })
}

export const layerEmpty: Layer.Layer<Chain> = Layer.succeed(Chain, empty)

export const layer = (chain: ChainShape): Layer.Layer<Chain> => Layer.succeed(Chain, chain)
