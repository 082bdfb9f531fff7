import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { Codec, Primitives as P } from "@peerwire/codec"
import * as Json from "../src/Json.js"

const U128_MAX = (1n << 128n) - 1n

describe("Json", () => {
  it("parses integers beyond 2^53 as exact bigints, smaller ones as numbers", () => {
    const parsed = Either.getOrThrow(
      Json.parse(
        `{"a": 9007199254740991, "b": 9007199254740993, "c": 340282366920938463463374607431768211455, ` +
          `"d": -9223372036854775808, "e": 1.5, "f": [0, -1]}`
      )
    )
    expect(parsed).toEqual({ a: 9007199254740991, b: 9007199254740993n, c: U128_MAX, d: -(1n << 63n), e: 1.5, f: [0, -1] })
  })

  it("prints bigints as exact integers and round-trips", () => {
    const value = { difficulty: 2329045448547720842n, max: U128_MAX, small: 7, list: [1n, "0xab"], none: null }
    const text = Json.stringify(value)
    expect(text).toBe(
      `{"difficulty":2329045448547720842,"max":340282366920938463463374607431768211455,"small":7,"list":[1,"0xab"],"none":null}`
    )
    const back = Either.getOrThrow(Json.parse(text))
    expect(back).toEqual({ ...value, list: [1, "0xab"] })
    expect(Json.stringify({ a: [1] }, 2)).toBe(`{\n  "a": [\n    1\n  ]\n}`)
  })

  it("feeds uint64/uint128 codecs without losing precision", () => {
    const json = Either.getOrThrow(Json.parse(`[18446744073709551615, 340282366920938463463374607431768211455]`)) as Array<unknown>
    expect(Either.getOrThrow(Codec.fromJson(P.uint64, json[0]))).toBe((1n << 64n) - 1n)
    expect(Either.getOrThrow(Codec.fromJson(P.uint128, json[1]))).toBe(U128_MAX)
  })

  it("fails with a typed InvalidJson error and the position", () => {
    const result = Json.parse(`{"a": 1,`)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left.reason).toBe("InvalidJson")
      expect(result.left.offset).toBe(8)
    }
    expect(Either.isLeft(Json.parse(`{"a": 1, "a": 2}`))).toBe(true)
    expect(Either.isLeft(Json.parse(``))).toBe(true)
  })
})
