/**
 * The nested Chia types with custom encodings (chia-messages §D.3): packed prefixes decoded and encoded byte for byte,
 * out-of-range prefixes and impossible combinations rejected with typed errors, and FastCheck round-trips (bytes and
 * JSON) for every nested type.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck, Schema } from "effect"
import { readFileSync } from "node:fs"
import { isDeepStrictEqual } from "node:util"
import { type Codec, decode, decodeUnsafe, encode, encodeUnsafe, fromJson } from "../../src/Codec.js"
import * as JsonText from "../../src/Json.js"
import {
  FullBlock,
  type ProofOfSpace,
  ProofOfSpace as PoS,
  RewardChainBlock,
  SubEpochData,
  SubEpochSummary,
  typeClasses,
  UnfinishedBlock,
  VDFInfo
} from "../../src/chia/types/index.js"
import { NewPeakTimelord } from "../../src/chia/protocol/timelord.js"
import { RespondBlock, RespondUnfinishedBlock } from "../../src/chia/protocol/fullNode.js"

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")
const fill = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte)

const records = ((): ReadonlyArray<Uint8Array> => {
  const file = new Uint8Array(readFileSync(new URL("../fixtures/chia/protocol_messages_bytes-v1.0", import.meta.url)))
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const out: Array<Uint8Array> = []
  for (let pos = 0; pos < file.length && out.length < 200;) {
    const length = view.getUint32(pos)
    out.push(file.subarray(pos + 4, pos + 4 + length))
    pos += 4 + length
  }
  return out
})()

const failure = <A>(result: Either.Either<A, { reason: string; path: string; offset: number }>) =>
  Either.isLeft(result) ? [result.left.reason, result.left.path, result.left.offset] : ["no error"]

const pos = (over: Partial<ProofOfSpace>): ProofOfSpace => ({
  challenge: fill(32, 0x11),
  pool_public_key: undefined,
  pool_contract_puzzle_hash: undefined,
  plot_public_key: fill(48, 0x22),
  version: 0,
  plot_index: 0,
  meta_group: 0,
  strength: 0,
  size: 32,
  proof: Uint8Array.of(0xab, 0xcd),
  ...over
})

describe("ProofOfSpace", () => {
  const challenge = "11".repeat(32)
  const plotKey = "22".repeat(48)

  it("version 0: prefix 0/1 then size (the pre-hard-fork layout)", () => {
    const withKey = pos({ pool_public_key: fill(48, 0x33) })
    expect(hex(encodeUnsafe(PoS, withKey))).toBe(
      `${challenge}01${"33".repeat(48)}00${plotKey}20 00000002abcd`.replace(/ /g, "")
    )
    const withContract = pos({ pool_contract_puzzle_hash: fill(32, 0x44) })
    const bytes = encodeUnsafe(PoS, withContract)
    expect(hex(bytes)).toBe(`${challenge}0001${"44".repeat(32)}${plotKey}2000000002abcd`)
    expect(decodeUnsafe(PoS, bytes)).toEqual(withContract)
    // Version 0 is lenient: neither pool key nor contract hash still parses.
    expect(decodeUnsafe(PoS, encodeUnsafe(PoS, pos({})))).toEqual(pos({}))
  })

  it("version 1: prefix 2/3 then plot_index u16, meta_group u8, strength u8", () => {
    const v1 = pos({
      version: 1,
      size: 0,
      plot_index: 0x0102,
      meta_group: 3,
      strength: 4,
      pool_public_key: fill(48, 0x33)
    })
    const bytes = encodeUnsafe(PoS, v1)
    expect(hex(bytes)).toBe(`${challenge}01${"33".repeat(48)}02${plotKey}01020304 00000002abcd`.replace(/ /g, ""))
    expect(decodeUnsafe(PoS, bytes)).toEqual(v1)
    const contract = pos({ version: 1, size: 0, pool_contract_puzzle_hash: fill(32, 0x44) })
    expect(hex(encodeUnsafe(PoS, contract)).slice(64, 68)).toBe("0003")
  })

  it("rejects prefixes 4..255 and version 1 without exactly one pool identity", () => {
    const bytes = encodeUnsafe(PoS, pos({}))
    const bad = bytes.slice()
    bad[33] = 4
    expect(failure(decode(PoS, bad))).toEqual(["InvalidOptional", "ProofOfSpace.pool_contract_puzzle_hash", 33])
    bad[33] = 2 // version 1 with neither a pool key nor a contract hash
    expect(failure(decode(PoS, bad))).toEqual(["InvalidValue", "ProofOfSpace.pool_contract_puzzle_hash", 33])
    const both = pos({ version: 1, size: 0, pool_public_key: fill(48, 1), pool_contract_puzzle_hash: fill(32, 2) })
    expect(failure(encode(PoS, both))[0]).toBe("InvalidValue")
    expect(failure(encode(PoS, pos({ version: 2 })))[0]).toBe("InvalidValue")
    // Fields a version does not carry must be 0, or they would be lost.
    expect(failure(encode(PoS, pos({ plot_index: 1 })))[0]).toBe("InvalidValue")
    expect(failure(encode(PoS, pos({ version: 1, pool_public_key: fill(48, 1) })))[0]).toBe("InvalidValue")
    expect(Schema.is(PoS.schema)(both)).toBe(false)
  })
})

describe("RewardChainBlock", () => {
  // #105 NewPeakTimelord starts with a RewardChainBlock whose shared prefix is 1 (VDF present, no header_mmr_root).
  const rcb = decodeUnsafe(NewPeakTimelord, records[105]!).reward_chain_block
  const vdf = rcb.infused_challenge_chain_ip_vdf!
  const root = fill(32, 0x5a)

  it.each([
    [0, undefined, undefined, 0],
    [1, vdf, undefined, 140],
    [2, undefined, root, 32],
    [3, vdf, root, 172]
  ] as const)("prefix %i", (prefix, icc, mmr, tail) => {
    const value = { ...rcb, infused_challenge_chain_ip_vdf: icc, header_mmr_root: mmr }
    const bytes = encodeUnsafe(RewardChainBlock, value)
    // The prefix, then the VDF and/or the root, then is_transaction_block.
    expect(bytes[bytes.length - 2 - tail]).toBe(prefix)
    if (prefix === 3) expect(hex(bytes.subarray(bytes.length - 33, bytes.length - 1))).toBe(hex(root))
    expect(decodeUnsafe(RewardChainBlock, bytes)).toEqual(value)
    expect(RewardChainBlock.fromJson(RewardChainBlock.toJson(value))).toEqual(value)
  })

  it("rejects a prefix above 3 with its path and offset", () => {
    const bytes = encodeUnsafe(RewardChainBlock, { ...rcb, infused_challenge_chain_ip_vdf: undefined })
    const at = bytes.length - 2
    bytes[at] = 4
    expect(failure(decode(RewardChainBlock, bytes))).toEqual(["InvalidOptional", "RewardChainBlock.infused_challenge_chain_ip_vdf", at])
  })

  it("keeps the logical key order of the reference JSON", () => {
    const keys = Object.keys(RewardChainBlock.toJson(rcb) as object)
    expect(keys.slice(-3)).toEqual(["infused_challenge_chain_ip_vdf", "header_mmr_root", "is_transaction_block"])
  })
})

describe("SubEpochSummary and SubEpochData", () => {
  it("SubEpochSummary: new_difficulty is a plain Optional, then one prefix for (sub-slot iters, merkle root)", () => {
    const value = {
      prev_subepoch_summary_hash: fill(32, 0xaa),
      reward_chain_hash: fill(32, 0xbb),
      num_blocks_overflow: 5,
      new_difficulty: 7n,
      new_sub_slot_iters: 9n,
      challenge_merkle_root: fill(32, 0xcc)
    }
    const bytes = encodeUnsafe(SubEpochSummary, value)
    expect(hex(bytes)).toBe(
      `${"aa".repeat(32)}${"bb".repeat(32)}05 01 0000000000000007 03 0000000000000009 ${"cc".repeat(32)}`.replace(
        / /g,
        ""
      )
    )
    expect(decodeUnsafe(SubEpochSummary, bytes)).toEqual(value)
  })

  it("SubEpochData: the opposite order (plain new_sub_slot_iters, one prefix for difficulty and merkle root)", () => {
    const value = {
      reward_chain_hash: fill(32, 0xbb),
      num_blocks_overflow: 5,
      new_sub_slot_iters: 9n,
      new_difficulty: undefined,
      challenge_merkle_root: fill(32, 0xcc)
    }
    const bytes = encodeUnsafe(SubEpochData, value)
    expect(hex(bytes)).toBe(`${"bb".repeat(32)}05 01 0000000000000009 02 ${"cc".repeat(32)}`.replace(/ /g, ""))
    expect(decodeUnsafe(SubEpochData, bytes)).toEqual(value)
    expect(Object.keys(SubEpochData.toJson(value) as object)).toEqual([
      "reward_chain_hash",
      "num_blocks_overflow",
      "new_sub_slot_iters",
      "new_difficulty",
      "challenge_merkle_root"
    ])
    const bad = bytes.slice()
    bad[42] = 0x80
    expect(failure(decode(SubEpochData, bad))).toEqual(["InvalidOptional", "SubEpochData.new_difficulty", 42])
  })
})

describe("FullBlock and UnfinishedBlock generator prefix", () => {
  const block = decodeUnsafe(RespondBlock, records[17]!).block
  const plainBytes = encodeUnsafe(FullBlock, {
    ...block,
    transactions_generator: undefined,
    transactions_generator_ref_list: []
  })
  const head = plainBytes.length - 5 // prefix 00 + empty ref list

  it("version 0 (the vectors): prefix 1, CLVM generator, then the ref list", () => {
    expect(block.version).toBe(0)
    expect(block.transactions_generator).toBeDefined()
    expect(hex(plainBytes.subarray(head))).toBe("0000000000")
    const withRefs = { ...block, transactions_generator: undefined, transactions_generator_ref_list: [1, 0xfffffffe] }
    expect(hex(encodeUnsafe(FullBlock, withRefs).subarray(head))).toBe(
      "00 00000002 00000001 fffffffe".replace(/ /g, "")
    )
  })

  it("version 1: prefix 2/3, a u32-length buffer and no ref list", () => {
    const v1 = {
      ...block,
      transactions_generator: undefined,
      transactions_generator_ref_list: [],
      transactions_generator_buffer: Uint8Array.of(1, 2, 3),
      version: 1
    }
    const bytes = encodeUnsafe(FullBlock, v1)
    expect(hex(bytes.subarray(head))).toBe("0300000003010203")
    expect(decodeUnsafe(FullBlock, bytes)).toEqual(v1)
    expect(FullBlock.fromJson(FullBlock.toJson(v1))).toEqual(v1)
    const empty = { ...v1, transactions_generator_buffer: undefined }
    expect(hex(encodeUnsafe(FullBlock, empty).subarray(head))).toBe("02")
    expect(decodeUnsafe(FullBlock, encodeUnsafe(FullBlock, empty))).toEqual(empty)
  })

  it("rejects prefixes above 3 and values a version cannot carry", () => {
    const bad = plainBytes.slice()
    bad[head] = 4
    expect(failure(decode(FullBlock, bad))).toEqual(["InvalidOptional", "FullBlock.transactions_generator", head])
    expect(failure(encode(FullBlock, { ...block, version: 1 }))[0]).toBe("InvalidValue")
    expect(failure(encode(FullBlock, { ...block, transactions_generator_buffer: Uint8Array.of(1) }))[0]).toBe(
      "InvalidValue"
    )
    expect(failure(encode(FullBlock, { ...block, version: 2 }))[0]).toBe("InvalidValue")
  })

  it("UnfinishedBlock shares the layout", () => {
    const unfinished = decodeUnsafe(RespondUnfinishedBlock, records[20]!).unfinished_block
    const v1 = { ...unfinished, transactions_generator: undefined, transactions_generator_ref_list: [], version: 1 }
    expect(decodeUnsafe(UnfinishedBlock, encodeUnsafe(UnfinishedBlock, v1))).toEqual(v1)
  })
})

describe("JSON of the nested types", () => {
  it("reads the official JSON with bigints and rejects unknown or missing fields", () => {
    const vdf = {
      challenge: `0x${"01".repeat(32)}`,
      number_of_iterations: 18446744073709551615n,
      output: { data: `0x${"02".repeat(100)}` }
    }
    const value = VDFInfo.fromJson(vdf)
    expect(value.number_of_iterations).toBe(18446744073709551615n)
    expect(JsonText.stringify(VDFInfo.toJson(value))).toContain("18446744073709551615")
    const json = PoS.toJson(pos({})) as Record<string, unknown>
    expect(failure(fromJson(PoS, { ...json, extra: 1 }))).toEqual(["InvalidJson", "ProofOfSpace", -1])
    const { size: _size, ...missing } = json
    expect(failure(fromJson(PoS, missing))).toEqual(["InvalidJson", "ProofOfSpace", -1])
    expect(failure(fromJson(PoS, { ...json, version: 1 }))[0]).toBe("InvalidJson")
    expect(failure(fromJson(VDFInfo, { ...vdf, number_of_iterations: -1 }))).toEqual([
      "InvalidJson",
      "VDFInfo.number_of_iterations",
      -1
    ])
  })
})

describe("FastCheck round-trips of every nested type", () => {
  const heavy = new Set([
    "FullBlock",
    "UnfinishedBlock",
    "HeaderBlock",
    "UnfinishedHeaderBlock",
    "WeightProof",
    "RecentChainData"
  ])
  for (const [name, codec] of Object.entries(typeClasses) as ReadonlyArray<[string, Codec<unknown>]>) {
    it(name, () => {
      expect(codec.name).toBe(name)
      FastCheck.assert(
        FastCheck.property(Arbitrary.make(codec.schema), (value) => {
          const bytes = encodeUnsafe(codec, value)
          const back = decodeUnsafe(codec, bytes)
          return (
            bytes.length === codec.sizeOf(value) &&
            isDeepStrictEqual(back, value) &&
            isDeepStrictEqual(codec.fromJson(codec.toJson(value)), value) &&
            Schema.is(codec.schema)(back)
          )
        }),
        { numRuns: heavy.has(name) ? 10 : 60 }
      )
    })
  }

  it("the vector values satisfy the schemas", () => {
    const block = decodeUnsafe(RespondBlock, records[17]!).block
    expect(Schema.is(FullBlock.schema)(block)).toBe(true)
    expect(Schema.is(RewardChainBlock.schema)(block.reward_chain_block)).toBe(true)
  })
})
