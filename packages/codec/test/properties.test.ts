/**
 * Round-trip properties for every class of the catalogue's class-name registry (and the core primitives/combinators):
 * for values generated from each codec's type-side schema, `decode(encode(x))` equals `x`, re-encoding gives the same
 * bytes, `sizeOf` is exact, and the JSON form round-trips too (through `Json.stringify`/`Json.parse` text).
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck, Schema } from "effect"
import { isDeepStrictEqual } from "node:util"
import type { AnyCodec } from "../src/Codec.js"
import { decode, decodeUnsafe, encodeUnsafe, fromJson, toJson } from "../src/Codec.js"
import { classes, classNames } from "../src/chia/Catalogue.js"
import { Message } from "../src/chia/Message.js"
import * as C from "../src/Combinators.js"
import * as Json from "../src/Json.js"
import * as P from "../src/Primitives.js"
import { isProgram, SerializedProgram } from "../src/Program.js"
import * as Streamable from "../src/Streamable.js"

/** Runs per class; the registry has ~190 classes, so the whole file stays well under a minute on two cores. */
const NUM_RUNS = 50
/** A fixed seed keeps CI reproducible; failures print the counterexample and the path. */
const SEED = 0x5eed

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0

const roundTrip = (codec: AnyCodec, value: unknown): void => {
  const bytes = encodeUnsafe(codec, value)
  expect(bytes.length).toBe(codec.sizeOf(value))
  if (codec.fixedSize !== undefined) expect(bytes.length).toBe(codec.fixedSize)
  const back = decode(codec, bytes)
  if (Either.isLeft(back)) throw new Error(`${codec.name}: ${back.left.message}`)
  // isDeepStrictEqual: Uint8Array contents, bigint vs number and undefined-vs-missing all count.
  expect(isDeepStrictEqual(back.right, value)).toBe(true)
  expect(sameBytes(encodeUnsafe(codec, back.right), bytes)).toBe(true)
  // JSON text: bigints stay exact through stringify/parse; codecs accept both number and bigint for every integer.
  const text = Json.stringify(toJson(codec, value))
  const fromText = Either.flatMap(Json.parse(text), (json) => fromJson(codec, json))
  if (Either.isLeft(fromText)) throw new Error(`${codec.name} JSON: ${fromText.left.message}`)
  expect(sameBytes(encodeUnsafe(codec, fromText.right), bytes)).toBe(true)
}

const check = (codec: AnyCodec, numRuns = NUM_RUNS): void => {
  FastCheck.assert(
    FastCheck.property(Arbitrary.make(codec.schema), (value) => roundTrip(codec, value)),
    { numRuns, seed: SEED }
  )
}

describe("round-trip: primitives and combinators", () => {
  const core: ReadonlyArray<AnyCodec> = [
    P.uint8, P.uint16, P.uint32, P.int8, P.int16, P.int32, P.uint64, P.uint128, P.int64, P.int128, P.bool,
    P.bytes32, P.bytes100, P.G1Element, P.G2Element, P.bytes, P.str, SerializedProgram,
    C.list(P.uint16), C.optional(P.str), C.tuple(P.uint16, P.str, P.bool), C.fixedArray(P.uint64, 16),
    C.struct("Nested", { a: C.list(C.optional(C.tuple(P.bytes32, P.uint64))), b: C.struct("Inner", { x: P.int8 }) }),
    C.struct("Empty", {}),
    Message
  ]
  for (const codec of core) it(codec.name, () => check(codec, 200))

  it("integers at their bounds", () => {
    for (const [codec, values] of [
      [P.uint64, [0n, (1n << 64n) - 1n]],
      [P.int64, [-(1n << 63n), (1n << 63n) - 1n]],
      [P.uint128, [0n, (1n << 128n) - 1n]],
      [P.int128, [-(1n << 127n), (1n << 127n) - 1n, -1n]],
      [P.int32, [-0x80000000, 0x7fffffff]],
      [P.uint32, [0, 0xffffffff]]
    ] as const) {
      for (const value of values) roundTrip(codec, value)
    }
  })
})

describe("round-trip: every class in the catalogue", () => {
  it("the registry is populated", () => {
    expect(classNames.length).toBeGreaterThan(100)
  })
  const registry = classes as unknown as Readonly<Record<string, AnyCodec>>
  for (const name of classNames) {
    it(name, () => check(registry[name]!))
  }
})

describe("round-trip through the Schema boundary", () => {
  // A sample across the shapes (packed prefixes, programs, deep nesting); the fast path above covers every class.
  const sample = ["RespondBlock", "ProofOfSpace", "RewardChainBlock", "SubEpochSummary", "SubEpochData", "RespondPeers"]
  const registry = classes as unknown as Readonly<Record<string, AnyCodec>>
  for (const name of sample.filter((n) => n in registry)) {
    it(name, () => {
      const codec = registry[name]!
      const schema = Streamable.schema(codec)
      FastCheck.assert(
        FastCheck.property(Arbitrary.make(schema), (value) => {
          const bytes = Schema.encodeSync(schema)(value)
          expect(sameBytes(bytes, encodeUnsafe(codec, value))).toBe(true)
          expect(isDeepStrictEqual(Schema.decodeSync(schema)(bytes), decodeUnsafe(codec, bytes))).toBe(true)
        }),
        { numRuns: 25, seed: SEED }
      )
    })
  }
})

// ---------------------------------------------------------------------------------------------------------------------
// CLVM back-references: the iterative, pooled validator against a direct recursive reading of chia-messages.md §D.4.

type RefNode = "atom" | { readonly l: RefNode; readonly r: RefNode }

/** Recursive reference: parses one s-expression, keeping the value stack as a CLVM list; `false` if malformed. */
const referenceIsProgram = (bytes: Uint8Array): boolean => {
  let pos = 0
  let stack: RefNode = "atom"
  const atom = (): readonly [number, number] => {
    const b = bytes[pos]
    if (b === undefined) throw new Error("eof")
    if (b <= 0x7f) return [pos, ++pos]
    if (b === 0x80) return [++pos, pos]
    let prefix = 0
    while (b & (0x80 >> prefix)) prefix++
    if (prefix > 6) throw new Error("prefix")
    let size = b & (0xff >> (prefix + 1))
    for (let i = 1; i < prefix; i++) {
      const next = bytes[pos + i]
      if (next === undefined) throw new Error("eof")
      size = size * 256 + next
    }
    const from = pos + prefix
    pos = from + size
    if (pos > bytes.length) throw new Error("eof")
    return [from, pos]
  }
  const walk = (from: number, to: number): RefNode => {
    const path: Array<number> = []
    let first = from
    while (first < to && bytes[first] === 0) first++
    if (first === to) return "atom"
    for (let i = to - 1; i >= first; i--) {
      const byte = bytes[i]!
      const bits = i === first ? 31 - Math.clz32(byte) : 8
      for (let bit = 0; bit < bits; bit++) path.push((byte >> bit) & 1)
    }
    let node: RefNode = stack
    for (const step of path) {
      if (node === "atom") throw new Error("path into atom")
      node = step ? node.r : node.l
    }
    return node
  }
  const sexp = (): void => {
    const b = bytes[pos]
    if (b === undefined) throw new Error("eof")
    if (b === 0xff) {
      pos++
      sexp()
      sexp()
      const popped = stack as { l: RefNode; r: { l: RefNode; r: RefNode } }
      stack = { l: { l: popped.r.l, r: popped.l }, r: popped.r.r }
    } else if (b === 0xfe) {
      pos++
      const [from, to] = atom()
      stack = { l: walk(from, to), r: stack }
    } else {
      atom()
      stack = { l: "atom", r: stack }
    }
  }
  try {
    sexp()
    return pos === bytes.length
  } catch {
    return false
  }
}

describe("CLVM back-reference validation", () => {
  const concat = (...parts: ReadonlyArray<Uint8Array>) => Uint8Array.from(parts.flatMap((p) => Array.from(p)))
  const arbitraryProgram = FastCheck.letrec((tie) => ({
    node: FastCheck.oneof(
      { depthSize: "small", withCrossShrink: true },
      FastCheck.constantFrom(Uint8Array.of(0x80), Uint8Array.of(0x01), Uint8Array.of(0x82, 0xaa, 0xbb)),
      // back-references with paths of one or two bytes, nil, and zero-padded forms
      FastCheck.oneof(
        FastCheck.integer({ min: 0, max: 0x7f }).map((p) => Uint8Array.of(0xfe, p)),
        FastCheck.tuple(FastCheck.integer({ min: 0, max: 255 }), FastCheck.integer({ min: 0, max: 255 })).map(([a, b]) =>
          Uint8Array.of(0xfe, 0x82, a, b)
        ),
        FastCheck.constant(Uint8Array.of(0xfe, 0x80))
      ),
      FastCheck.tuple(tie("node"), tie("node")).map(([l, r]) => concat(Uint8Array.of(0xff), l as Uint8Array, r as Uint8Array))
    )
  })).node as FastCheck.Arbitrary<Uint8Array>

  it("agrees with a recursive reference on random programs", () => {
    let valid = 0
    FastCheck.assert(
      FastCheck.property(arbitraryProgram, (program) => {
        const expected = referenceIsProgram(program)
        if (expected) valid++
        expect(isProgram(program)).toBe(expected)
      }),
      { numRuns: 3000, seed: SEED }
    )
    // Both outcomes must be exercised for the comparison to mean anything.
    expect(valid).toBeGreaterThan(300)
    expect(valid).toBeLessThan(2700)
  })
})
