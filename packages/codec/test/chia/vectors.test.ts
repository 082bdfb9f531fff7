/**
 * The official Chia protocol vectors (chia-blockchain `chia/_tests/util/`, copied into `../fixtures/chia/`, see
 * NOTICE.md): every record decodes with the class named in its JSON entry, consumes the record exactly, prints the official JSON
 * (values and key order), and re-encodes byte for byte both from the decoded value and from the official JSON.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { readFileSync } from "node:fs"
import { decodeUnsafe, encodeUnsafe, type Json } from "../../src/Codec.js"
import { codecForClass } from "../../src/chia/Catalogue.js"
import * as JsonText from "../../src/Json.js"

const fixture = (name: string): URL => new URL(`../fixtures/chia/${name}`, import.meta.url)

interface VectorEntry {
  readonly index: number
  readonly protocol: string
  readonly message: string
  readonly variable: string
  readonly json: Json
}

const entries = Either.getOrThrow(
  JsonText.parse(readFileSync(fixture("protocol_messages.json"), "utf8"))
) as ReadonlyArray<VectorEntry>

/** The records of the binary file: `[u32 BE length][payload]` repeated, no header or trailer. */
const readRecords = (): ReadonlyArray<Uint8Array> => {
  const file = new Uint8Array(readFileSync(fixture("protocol_messages_bytes-v1.0")))
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const out: Array<Uint8Array> = []
  let pos = 0
  while (pos < file.length && out.length < 1000) {
    const length = view.getUint32(pos)
    out.push(file.subarray(pos + 4, pos + 4 + length))
    pos += 4 + length
  }
  expect(pos).toBe(file.length)
  return out
}
const records = readRecords()

/** Integers as bigint whatever their width (`uint8` 7 equals `uint64` 7n); then text, so key order counts. */
const normalise = (json: unknown): unknown => {
  if (typeof json === "number" && Number.isInteger(json)) return BigInt(json)
  if (Array.isArray(json)) return json.map(normalise)
  if (typeof json === "object" && json !== null) {
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, normalise(v)]))
  }
  return json
}
const canonical = (json: unknown): string => JsonText.stringify(normalise(json) as Json, 1)

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")

describe("official Chia vectors", () => {
  it("has 116 records and 116 JSON entries, in the same order", () => {
    expect(records.length).toBe(116)
    expect(entries.length).toBe(116)
    entries.forEach((entry, i) => expect(Number(entry.index)).toBe(i))
  })

  const cases = entries.map((entry) => [`#${entry.index} ${entry.message} (${entry.variable})`, entry] as const)

  it.each(cases)("%s", (_label, entry) => {
    const bytes = records[Number(entry.index)]!
    const codec = Either.getOrThrow(codecForClass(entry.message))
    expect(codec.name).toBe(entry.message)

    // decodeUnsafe fails with TrailingBytes unless the record is consumed exactly.
    const value = decodeUnsafe(codec, bytes)
    expect(canonical(codec.toJson(value))).toBe(canonical(entry.json))
    expect(hex(encodeUnsafe(codec, value))).toBe(hex(bytes))
    expect(codec.sizeOf(value)).toBe(bytes.length)

    const fromOfficialJson = codec.fromJson(entry.json)
    expect(hex(encodeUnsafe(codec, fromOfficialJson))).toBe(hex(bytes))
  })

  it("decodes the hand-checked records of chia-messages §F", () => {
    const json = (i: number) =>
      normalise(
        Either.getOrThrow(codecForClass(entries[i]!.message)).toJson(
          decodeUnsafe(Either.getOrThrow(codecForClass(entries[i]!.message)), records[i]!)
        )
      )
    expect(hex(records[12]!)).toBe("2876952a00")
    expect(json(12)).toEqual({ height: 678860074n, include_transaction_block: false })
    expect(hex(records[30]!)).toBe("00000001000000093132372e302e302e3120fc0000000000002a2c")
    expect(json(30)).toEqual({ peer_list: [{ host: "127.0.0.1", port: 8444n, timestamp: 10796n }] })
    // #38: the error is the 4-character string "None", not a None Optional.
    expect(hex(records[38]!).slice(64)).toBe("1e01000000044e6f6e65")
    expect(json(38)).toMatchObject({ status: 30n, error: "None" })
    expect(hex(records[104]!)).toBe("b7aa0100000003657272")
    expect(json(104)).toEqual({ error_code: 47018n, error_message: "err" })
    expect(hex(records[112]!)).toBe("000100000007556e6b6e6f776e00")
    expect(json(112)).toEqual({ code: 1n, message: "Unknown", data: null })
    expect(hex(records[113]!)).toBe("000100000007556e6b6e6f776e010000000a65787472612064617461")
    expect(json(113)).toEqual({ code: 1n, message: "Unknown", data: "0x65787472612064617461" })
  })

  it("contains the packed prefixes the notes describe (PoS version 1 with a pool key: prefix 0x02)", () => {
    const versions = new Map<number, number>()
    const visit = (u: unknown): void => {
      if (Array.isArray(u)) u.forEach(visit)
      else if (typeof u === "object" && u !== null) {
        const record = u as Record<string, unknown>
        if ("plot_public_key" in record && "version" in record) {
          const prefix = (Number(record.version) << 1) | (record.pool_contract_puzzle_hash === null ? 0 : 1)
          versions.set(prefix, (versions.get(prefix) ?? 0) + 1)
        }
        Object.values(record).forEach(visit)
      }
    }
    entries.forEach((entry) => visit(entry.json))
    expect(Object.fromEntries(versions)).toEqual({ 1: 1, 2: 15 })
  })
})
