/**
 * Bigint-safe JSON text, in the conventions of the reference's JSON (and of the official vectors): uint64/uint128 values are
 * bare integers that `JSON.parse` would round (chia-messages.md §G.9), so integers outside ±(2^53 − 1) parse as `bigint`
 * and every `bigint` is printed as its exact digits. Bytes are already `0x` hex in the `Json` values codecs produce.
 */
import { Either } from "effect"
import { parse as losslessParse, stringify as losslessStringify } from "lossless-json"
import type { Json } from "./Codec.js"
import { CodecError } from "./CodecError.js"
import { toHex } from "./internal/hex.js"

const INTEGER = /^-?\d+$/

// Small integers stay `number` so that uint8..uint32 fields compare equal to what the codecs produce; the codecs' `fromJson`
// accept either form for every integer type.
const parseNumber = (text: string): number | bigint => {
  if (INTEGER.test(text)) {
    const n = Number(text)
    return Number.isSafeInteger(n) ? n : BigInt(text)
  }
  return Number(text)
}

const POSITION = /position (\d+)/

/**
 * Parses JSON text. Integers beyond 2^53 − 1 in magnitude become `bigint`; others (and non-integers) are `number`.
 * Duplicate keys are rejected. Failures are `InvalidJson` with the character position as the offset.
 */
export const parse = (text: string): Either.Either<unknown, CodecError> => {
  try {
    return Either.right(losslessParse(text, null, parseNumber))
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e)
    const position = POSITION.exec(detail)
    return Either.left(
      new CodecError({ reason: "InvalidJson", path: "", offset: position ? Number(position[1]) : -1, detail })
    )
  }
}

// Defensive: a raw Uint8Array that slipped into a JSON value prints as `0x` hex, not as an object of indices.
const replacer = (_key: string, value: unknown): unknown => (value instanceof Uint8Array ? toHex(value) : value)

/**
 * Prints JSON text with every `bigint` as exact digits. `indent` as in `JSON.stringify` (omitted: one line).
 * `undefined` prints as `null` (the JSON form of a None Optional).
 */
export const stringify = (json: Json, indent?: number | string): string =>
  losslessStringify(json, replacer, indent) ?? "null"
