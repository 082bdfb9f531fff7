/**
 * Per-group checks of the farmer, wallet, harvester, pool, solver and simulator payload classes against the official
 * vectors (fixtures copied from chia-blockchain `chia/_tests/util/`, see `../fixtures/chia/`), plus a FastCheck
 * round-trip for every class.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck } from "effect"
import { parse, parseNumberAndBigInt } from "lossless-json"
import { readFileSync } from "node:fs"
import { isDeepStrictEqual } from "node:util"
import type { AnyCodec, Json } from "../../src/Codec.js"
import { decode, decodeUnsafe, encodeUnsafe, fromJson } from "../../src/Codec.js"
import { farmerClasses } from "../../src/chia/protocol/farmer.js"
import { harvesterClasses } from "../../src/chia/protocol/harvester.js"
import { poolClasses } from "../../src/chia/protocol/pool.js"
import { simulatorClasses } from "../../src/chia/protocol/simulator.js"
import { solverClasses } from "../../src/chia/protocol/solver.js"
import { walletClasses } from "../../src/chia/protocol/wallet.js"
import { CoinState } from "../../src/chia/types/index.js"

const fixture = (name: string) => new URL(`../fixtures/chia/${name}`, import.meta.url)

interface VectorEntry {
  readonly index: bigint
  readonly protocol: string
  readonly message: string
  readonly json: Json
}

const entries = parse(
  readFileSync(fixture("protocol_messages.json"), "utf8"),
  undefined,
  parseNumberAndBigInt
) as ReadonlyArray<VectorEntry>

/** The records of the binary file: `[u32 BE length][payload]` repeated, no header or trailer. */
const records = ((): ReadonlyArray<Uint8Array> => {
  const file = new Uint8Array(readFileSync(fixture("protocol_messages_bytes-v1.0")))
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const out: Array<Uint8Array> = []
  let at = 0
  while (at < file.length) {
    const length = view.getUint32(at)
    out.push(file.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  expect(at).toBe(file.length)
  return out
})()

/** lossless-json gives every integer as a bigint, the codec gives 8..32-bit integers as numbers: compare as bigints. */
const normalise = (json: unknown): unknown => {
  if (typeof json === "number" && Number.isInteger(json)) return BigInt(json)
  if (Array.isArray(json)) return json.map(normalise)
  if (typeof json === "object" && json !== null) {
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, normalise(v)]))
  }
  return json
}

const groups: ReadonlyArray<readonly [string, Readonly<Record<string, AnyCodec>>]> = [
  ["farmer", farmerClasses],
  ["wallet", walletClasses],
  ["harvester", harvesterClasses],
  ["pool", poolClasses],
  ["solver", solverClasses],
  ["simulator", simulatorClasses]
]

// Records whose class lives elsewhere: a nested type of `../types`, or a harvester class visited as farmer.
const borrowed: Readonly<Record<string, AnyCodec>> = {
  CoinState,
  PartialProofsData: harvesterClasses.PartialProofsData
}

describe("chia protocol payload classes", () => {
  it("the fixture holds the 116 official records", () => {
    expect(records.length).toBe(116)
    expect(entries.length).toBe(116)
  })

  for (const [group, classes] of groups) {
    const mine = entries.filter((e) => e.protocol === group)
    if (mine.length === 0) continue
    describe(`${group} vectors`, () => {
      for (const entry of mine) {
        const index = Number(entry.index)
        it(`#${index} ${entry.message}`, () => {
          const codec = classes[entry.message] ?? borrowed[entry.message]
          expect(codec, `no codec for ${entry.message}`).toBeDefined()
          if (codec === undefined) return
          const bytes = records[index]!
          const value = decodeUnsafe(codec, bytes) // throws TrailingBytes unless the record is consumed exactly
          const json = codec.toJson(value)
          expect(normalise(json)).toEqual(normalise(entry.json))
          // Key order is part of the reference's JSON.
          expect(JSON.stringify(Object.keys(json ?? {}))).toBe(JSON.stringify(Object.keys(entry.json ?? {})))
          expect(encodeUnsafe(codec, value)).toEqual(bytes)
          const back = fromJson(codec, entry.json)
          expect(back._tag).toBe("Right")
          if (back._tag === "Right") expect(encodeUnsafe(codec, back.right)).toEqual(bytes)
        })
      }
    })
  }

  it("covers every record of the farmer, wallet, harvester, pool and solver groups", () => {
    const groupNames = new Set(groups.map(([g]) => g))
    const covered = entries.filter((e) => groupNames.has(e.protocol)).map((e) => Number(e.index))
    const expected = [
      ...[0, 1, 2, 3, 4, 5],
      ...Array.from({ length: 45 }, (_, i) => 33 + i),
      ...Array.from({ length: 12 }, (_, i) => 78 + i),
      ...Array.from({ length: 13 }, (_, i) => 92 + i),
      114,
      115
    ]
    expect(covered).toEqual(expected)
  })

  it("rejects damaged records with a typed error, path and offset", () => {
    const ack = records[38]! // TransactionAck: txid(32) status(1) error: 01 + str
    const badFlag = ack.slice()
    badFlag[33] = 2
    const flag = decode(walletClasses.TransactionAck, badFlag)
    expect(Either.isLeft(flag) && [flag.left.reason, flag.left.path, flag.left.offset]).toEqual([
      "InvalidOptional",
      "TransactionAck.error",
      33
    ])
    const trailing = decode(walletClasses.TransactionAck, Uint8Array.of(...ack, 0))
    expect(Either.isLeft(trailing) && trailing.left.reason).toBe("TrailingBytes")
    const cost = records[77]! // RespondCostInfo, 41 bytes: cut inside bump_fee_per_cost
    const truncated = decode(walletClasses.RespondCostInfo, cost.subarray(0, 40))
    expect(Either.isLeft(truncated) && [truncated.left.reason, truncated.left.path]).toEqual([
      "Truncated",
      "RespondCostInfo.bump_fee_per_cost"
    ])
  })

  describe("FastCheck round-trips", () => {
    for (const [group, classes] of groups) {
      for (const [name, codec] of Object.entries(classes)) {
        it(`${group}: ${name}`, () => {
          expect(codec.name).toBe(name)
          FastCheck.assert(
            FastCheck.property(Arbitrary.make(codec.schema), (value: unknown) => {
              const bytes = encodeUnsafe(codec, value)
              return bytes.length === codec.sizeOf(value) && isDeepStrictEqual(decodeUnsafe(codec, bytes), value)
            }),
            { numRuns: 50 }
          )
        })
      }
    }
  })
})
