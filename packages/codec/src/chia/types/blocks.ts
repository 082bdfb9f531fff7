/**
 * Blocks (chia_rs `fullblock.rs`, `unfinished_block.rs`, `header_block.rs`, `unfinished_header_block.rs`).
 *
 * FullBlock and UnfinishedBlock have a custom encoding (§D.3): after `transactions_info` one prefix byte holds
 * `(version << 1) | has_generator`. Version 0 (the legacy layout) is followed by the CLVM generator (if present) and
 * the `List[uint32]` of generator refs; version 1 by a u32-length generator buffer (if present) and no refs.
 */
import { Arbitrary, Schema } from "effect"
import type { TypeOf } from "../../Codec.js"
import { list, optional, struct } from "../../Combinators.js"
import { fail, withSegment } from "../../internal/failure.js"
import { fromHex, toHex } from "../../internal/hex.js"
import { bytes, uint32, uint8 } from "../../Primitives.js"
import { SerializedProgram } from "../../Program.js"
import { Foliage, FoliageTransactionBlock, TransactionsInfo } from "./foliage.js"
import { jsonField, packed, plain, readPrefix, type Part } from "./packed.js"
import { RewardChainBlock, RewardChainBlockUnfinished } from "./rewardChain.js"
import { EndOfSubSlotBundle } from "./slots.js"
import { VDFProof } from "./vdf.js"

export interface BlockGenerator {
  readonly transactions_generator: Uint8Array | undefined
  readonly transactions_generator_ref_list: ReadonlyArray<number>
  readonly transactions_generator_buffer: Uint8Array | undefined
  readonly version: number
}

const generator = optional(SerializedProgram)
const refList = list(uint32)

const generatorProblem = (g: BlockGenerator): string | undefined => {
  if (g.version === 0) {
    return g.transactions_generator_buffer === undefined
      ? undefined
      : "version 0 carries no transactions_generator_buffer"
  }
  if (g.version === 1) {
    if (g.transactions_generator !== undefined) return "version 1 carries no transactions_generator (use the buffer)"
    if (g.transactions_generator_ref_list.length > 0) return "version 1 carries no transactions_generator_ref_list"
    return undefined
  }
  return `version must be 0 or 1, got ${g.version}`
}

const bufferFromJson = (u: unknown): Uint8Array | undefined => {
  if (u === null || u === undefined) return undefined
  // chia_rs renders an `Option<Vec<u8>>` as a list of ints; accept that form as well as hex.
  if (Array.isArray(u)) {
    return Uint8Array.from(u, (b: unknown, i) =>
      typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 0xff
        ? b
        : fail("InvalidJson", -1, `transactions_generator_buffer[${i}] is not a byte`)
    )
  }
  return fromHex(u)
}

/** The versioned generator tail shared by FullBlock and UnfinishedBlock. */
const generatorPart = (what: string): Part<BlockGenerator> => ({
  keys: ["transactions_generator", "transactions_generator_ref_list", "transactions_generator_buffer", "version"],
  fields: {
    transactions_generator: generator.schema,
    transactions_generator_ref_list: refList.schema,
    transactions_generator_buffer: Schema.UndefinedOr(bytes.schema),
    version: uint8.schema
  } as Record<string, Schema.Schema<unknown>>,
  minSize: 1,
  check: generatorProblem,
  arbitrary(fc) {
    const program = Arbitrary.make(SerializedProgram.schema)
    const v0 = fc.record({
      transactions_generator: fc.option(program, { nil: undefined }),
      transactions_generator_ref_list: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 4 }),
      transactions_generator_buffer: fc.constant(undefined),
      version: fc.constant(0)
    })
    const v1 = fc.record({
      transactions_generator: fc.constant(undefined),
      transactions_generator_ref_list: fc.constant([]),
      transactions_generator_buffer: fc.option(Arbitrary.make(bytes.schema), { nil: undefined }),
      version: fc.constant(1)
    })
    return fc.oneof(v0, v1)
  },
  sizeOf(g) {
    if (g.version === 0)
      return generator.sizeOf(g.transactions_generator) + refList.sizeOf(g.transactions_generator_ref_list)
    return 1 + (g.transactions_generator_buffer === undefined ? 0 : bytes.sizeOf(g.transactions_generator_buffer))
  },
  write(c, g) {
    // The packed codec has checked `generatorProblem`, so version is 0 or 1 here.
    if (g.version === 0) {
      withSegment("transactions_generator", () => generator.write(c, g.transactions_generator))
      withSegment("transactions_generator_ref_list", () => refList.write(c, g.transactions_generator_ref_list))
    } else {
      const buffer = g.transactions_generator_buffer
      c.bytes[c.take(1)] = 2 | (buffer === undefined ? 0 : 1)
      if (buffer !== undefined) withSegment("transactions_generator_buffer", () => bytes.write(c, buffer))
    }
  },
  readInto(c, out) {
    const prefix = withSegment("transactions_generator", () => readPrefix(c, 3, `${what} generator version`))
    if (prefix >> 1 === 0) {
      out.transactions_generator =
        prefix & 1 ? withSegment("transactions_generator", () => SerializedProgram.read(c)) : undefined
      out.transactions_generator_ref_list = withSegment("transactions_generator_ref_list", () => refList.read(c))
      out.transactions_generator_buffer = undefined
      out.version = 0
    } else {
      out.transactions_generator = undefined
      out.transactions_generator_ref_list = []
      out.transactions_generator_buffer =
        prefix & 1 ? withSegment("transactions_generator_buffer", () => bytes.read(c)) : undefined
      out.version = 1
    }
  },
  toJsonInto(g, out) {
    out.transactions_generator = generator.toJson(g.transactions_generator)
    out.transactions_generator_ref_list = refList.toJson(g.transactions_generator_ref_list)
    out.transactions_generator_buffer =
      g.transactions_generator_buffer === undefined ? null : toHex(g.transactions_generator_buffer)
    out.version = g.version
  },
  fromJsonInto(json, out, name) {
    out.transactions_generator = jsonField(json, "transactions_generator", name, (u) => generator.fromJson(u))
    out.transactions_generator_ref_list = jsonField(json, "transactions_generator_ref_list", name, (u) =>
      refList.fromJson(u)
    )
    out.transactions_generator_buffer = jsonField(json, "transactions_generator_buffer", name, bufferFromJson)
    out.version = jsonField(json, "version", name, (u) => uint8.fromJson(u))
  }
})

export const FullBlock = packed(
  "FullBlock",
  plain({
    finished_sub_slots: list(EndOfSubSlotBundle),
    reward_chain_block: RewardChainBlock,
    challenge_chain_sp_proof: optional(VDFProof),
    challenge_chain_ip_proof: VDFProof,
    reward_chain_sp_proof: optional(VDFProof),
    reward_chain_ip_proof: VDFProof,
    infused_challenge_chain_ip_proof: optional(VDFProof),
    foliage: Foliage,
    foliage_transaction_block: optional(FoliageTransactionBlock),
    transactions_info: optional(TransactionsInfo)
  }),
  generatorPart("FullBlock")
)
export type FullBlock = TypeOf<typeof FullBlock>

export const UnfinishedBlock = packed(
  "UnfinishedBlock",
  plain({
    finished_sub_slots: list(EndOfSubSlotBundle),
    reward_chain_block: RewardChainBlockUnfinished,
    challenge_chain_sp_proof: optional(VDFProof),
    reward_chain_sp_proof: optional(VDFProof),
    foliage: Foliage,
    foliage_transaction_block: optional(FoliageTransactionBlock),
    transactions_info: optional(TransactionsInfo)
  }),
  generatorPart("UnfinishedBlock")
)
export type UnfinishedBlock = TypeOf<typeof UnfinishedBlock>

export const HeaderBlock = struct("HeaderBlock", {
  finished_sub_slots: list(EndOfSubSlotBundle),
  reward_chain_block: RewardChainBlock,
  challenge_chain_sp_proof: optional(VDFProof),
  challenge_chain_ip_proof: VDFProof,
  reward_chain_sp_proof: optional(VDFProof),
  reward_chain_ip_proof: VDFProof,
  infused_challenge_chain_ip_proof: optional(VDFProof),
  foliage: Foliage,
  foliage_transaction_block: optional(FoliageTransactionBlock),
  transactions_filter: bytes,
  transactions_info: optional(TransactionsInfo)
})
export type HeaderBlock = TypeOf<typeof HeaderBlock>

export const UnfinishedHeaderBlock = struct("UnfinishedHeaderBlock", {
  finished_sub_slots: list(EndOfSubSlotBundle),
  reward_chain_block: RewardChainBlockUnfinished,
  challenge_chain_sp_proof: optional(VDFProof),
  reward_chain_sp_proof: optional(VDFProof),
  foliage: Foliage,
  foliage_transaction_block: optional(FoliageTransactionBlock),
  transactions_filter: bytes
})
export type UnfinishedHeaderBlock = TypeOf<typeof UnfinishedHeaderBlock>
