/**
 * Hostile input into every decoder of the class registry and into the Message envelope: random bytes, and the official
 * vector payloads (fixtures in `./fixtures/chia/`, origin noted there) with bit flips, truncations, appended bytes and
 * inflated length prefixes. Every outcome must be a value or a `CodecError` in a Left — never another exception, never a
 * hang (every input is bounded), never an allocation sized by a length prefix rather than by the input.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import { readFileSync } from "node:fs"
import type { AnyCodec } from "../src/Codec.js"
import { decode, decodePrefix, encodeUnsafe, fromJson } from "../src/Codec.js"
import { CodecError } from "../src/CodecError.js"
import { classes, classNames, decodeMessage, payloadCodecFor } from "../src/chia/Catalogue.js"
import { decodeFrame, encodeFrame } from "../src/chia/Message.js"
import * as C from "../src/Combinators.js"
import * as Json from "../src/Json.js"
import * as P from "../src/Primitives.js"
import { SerializedProgram } from "../src/Program.js"

const registry = classes as unknown as Readonly<Record<string, AnyCodec>>
const fixture = (name: string) => new URL(`./fixtures/chia/${name}`, import.meta.url)

/** The 116 vector records with their class (the file is `[u32 BE length][payload]` repeated). */
const vectors = ((): ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }> => {
  const file = new Uint8Array(readFileSync(fixture("protocol_messages_bytes-v1.0")))
  const index = Either.getOrThrow(Json.parse(readFileSync(fixture("protocol_messages.json"), "utf8"))) as ReadonlyArray<{
    readonly message: string
  }>
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const out: Array<{ name: string; bytes: Uint8Array }> = []
  for (let at = 0, i = 0; at < file.length; i++) {
    const length = view.getUint32(at)
    out.push({ name: index[i]!.message, bytes: file.slice(at + 4, at + 4 + length) })
    at += 4 + length
  }
  return out
})()

/** A deterministic PRNG (mulberry32) so that every run mutates the same bytes. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Decodes and insists on the contract: a Right, or a Left holding a `CodecError`. Any other exception fails the test. */
const decodeTyped = (codec: AnyCodec, bytes: Uint8Array): Either.Either<unknown, CodecError> => {
  let result: Either.Either<unknown, CodecError>
  try {
    result = decode(codec, bytes)
  } catch (e) {
    const head = Buffer.from(bytes.subarray(0, 48)).toString("hex")
    throw new Error(`${codec.name} threw on ${bytes.length} byte(s) ${head}…: ${String(e)}`)
  }
  if (Either.isLeft(result)) expect(result.left).toBeInstanceOf(CodecError)
  return result
}

const reasonOf = (result: Either.Either<unknown, CodecError>) => (Either.isLeft(result) ? result.left.reason : "ok")

const TRUNCATION_REASONS = ["Truncated", "LengthTooLarge"]

/** The mutations of one valid payload: single bit flips, truncations, one appended byte, inflated u32s. */
function* mutations(bytes: Uint8Array, seed: number): Generator<readonly [kind: string, bytes: Uint8Array]> {
  const random = prng(seed)
  const sample = (n: number) => Array.from({ length: Math.min(n, bytes.length) }, () => Math.floor(random() * bytes.length))
  for (const at of sample(24)) {
    const flipped = bytes.slice()
    flipped[at]! ^= 1 << Math.floor(random() * 8)
    yield ["flip", flipped]
  }
  const cuts = bytes.length <= 96 ? Array.from({ length: bytes.length }, (_, i) => i) : sample(48)
  for (const cut of cuts) yield ["truncate", bytes.slice(0, cut)]
  yield ["append", Uint8Array.of(...bytes, 0)]
  // Overwrite 4 bytes with a huge count/length: wherever a prefix sits this must fail before allocating.
  for (const at of sample(24)) {
    for (const huge of [0xffffffff, 0x7fffffff, 0x01000000]) {
      if (at + 4 > bytes.length) continue
      const inflated = bytes.slice()
      new DataView(inflated.buffer).setUint32(at, huge)
      yield ["inflate", inflated]
    }
  }
}

describe("hostile input: vector payloads, mutated", () => {
  it("every vector has a class in the registry and decodes", () => {
    expect(vectors.length).toBe(116)
    for (const { bytes, name } of vectors) {
      expect(registry[name], name).toBeDefined()
      expect(reasonOf(decodeTyped(registry[name]!, bytes))).toBe("ok")
    }
  })

  vectors.forEach(({ bytes, name }, index) => {
    it(`#${index} ${name}`, () => {
      const codec = registry[name]!
      for (const [kind, mutated] of mutations(bytes, index + 1)) {
        const result = decodeTyped(codec, mutated)
        if (kind === "truncate") expect(TRUNCATION_REASONS, `${name} cut at ${mutated.length}`).toContain(reasonOf(result))
        if (kind === "append") expect(reasonOf(result)).toBe("TrailingBytes")
        // A decoded mutation is a real value: it re-encodes to exactly the bytes it came from (canonical encoding).
        if (Either.isRight(result)) expect(Buffer.compare(encodeUnsafe(codec, result.right), mutated)).toBe(0)
      }
    })
  })
})

describe("hostile input: random bytes into every decoder", () => {
  it("random bytes into every class", () => {
    for (const name of classNames) {
      const codec = registry[name]!
      FastCheck.assert(
        FastCheck.property(FastCheck.uint8Array({ maxLength: 160 }), (bytes) => {
          decodeTyped(codec, bytes)
          // decodePrefix shares the readers but not the trailing check; it must be just as typed.
          const prefix = decodePrefix(codec, bytes)
          if (Either.isLeft(prefix)) expect(prefix.left).toBeInstanceOf(CodecError)
        }),
        { numRuns: 60, seed: 7 }
      )
    }
  })

  it("random bytes after a valid prefix of each vector", () => {
    const random = prng(99)
    vectors.forEach(({ bytes, name }) => {
      const codec = registry[name]!
      for (let k = 0; k < 16; k++) {
        const keep = Math.floor(random() * bytes.length)
        const noise = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256))
        decodeTyped(codec, Uint8Array.of(...bytes.subarray(0, keep), ...noise))
      }
    })
  })

  it("random JSON into every fromJson gives a value or a typed error", () => {
    const json = FastCheck.jsonValue({ maxDepth: 3 })
    for (const name of classNames) {
      const codec = registry[name]!
      FastCheck.assert(
        FastCheck.property(json, (value) => {
          const result = fromJson(codec, value)
          if (Either.isLeft(result)) expect(result.left).toBeInstanceOf(CodecError)
        }),
        { numRuns: 30, seed: 11 }
      )
    }
  })
})

describe("hostile input: the Message envelope", () => {
  it("random frames decode to a typed result", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.uint8Array({ maxLength: 64 }), (bytes) => {
        const raw = decodeFrame(bytes)
        if (Either.isLeft(raw)) expect(raw.left).toBeInstanceOf(CodecError)
        const typed = decodeMessage(bytes)
        if (Either.isLeft(typed)) expect(typed.left).toBeInstanceOf(CodecError)
      }),
      { numRuns: 3000, seed: 3 }
    )
  })

  it("mutated frames around every vector whose class is a message payload", () => {
    let framed = 0
    for (const [index, { bytes, name }] of vectors.entries()) {
      const type = Array.from({ length: 256 }, (_, t) => t).find((t) => payloadCodecFor(t)?.name === name)
      if (type === undefined) continue
      framed++
      const frame = Either.getOrThrow(encodeFrame({ type, id: index, data: bytes }))
      expect(Either.isRight(decodeMessage(frame))).toBe(true)
      for (const [kind, mutated] of mutations(frame, 1000 + index)) {
        let result: Either.Either<unknown, CodecError>
        try {
          result = decodeMessage(mutated)
        } catch (e) {
          throw new Error(`${name} frame (${kind}) threw: ${String(e)}`)
        }
        if (Either.isLeft(result)) expect(result.left).toBeInstanceOf(CodecError)
        if (kind === "truncate") expect(TRUNCATION_REASONS).toContain(reasonOf(result))
        if (kind === "append") expect(reasonOf(result)).toBe("TrailingBytes")
      }
    }
    expect(framed).toBeGreaterThan(80)
  })
})

describe("hostile input: lengths, counts and nesting", () => {
  const u32 = (n: number) => {
    const out = new Uint8Array(4)
    new DataView(out.buffer).setUint32(0, n)
    return out
  }

  it("a 4 GiB length prefix in a 10-byte input fails at once with LengthTooLarge", () => {
    const input = Uint8Array.of(...u32(0xffffffff), 1, 2, 3, 4, 5, 6)
    for (const codec of [P.bytes, P.str, C.list(P.uint8), C.list(C.struct("Empty", {}))]) {
      const result = decodeTyped(codec, input)
      expect(Either.isLeft(result) && [result.left.reason, result.left.offset]).toEqual(["LengthTooLarge", 0])
    }
    const frame = Uint8Array.of(0x1a, 0x00, ...u32(0xffffffff), 1, 2, 3, 4)
    expect(reasonOf(decodeFrame(frame))).toBe("LengthTooLarge")
  })

  it("a List count of 2^32 − 1 with 8 bytes of input fails at once", () => {
    const input = Uint8Array.of(...u32(0xffffffff), 0, 0, 0, 0)
    for (const name of ["RespondPeers", "RespondBlocks", "RespondToCoinUpdates", "RespondAdditions"]) {
      const codec = registry[name]
      expect(codec, name).toBeDefined()
      const result = decodeTyped(codec!, input)
      expect(Either.isLeft(result), name).toBe(true)
      expect(TRUNCATION_REASONS).toContain(reasonOf(result))
    }
    const items = decodeTyped(C.list(P.uint8), input)
    expect(Either.isLeft(items) && items.left).toMatchObject({ reason: "LengthTooLarge", offset: 0 })
  })

  it("1 MB of CLVM cons bytes fails with a typed error and no stack overflow", () => {
    const deep = new Uint8Array(1 << 20).fill(0xff)
    const result = decodeTyped(SerializedProgram, deep)
    expect(TRUNCATION_REASONS.concat("InvalidProgram")).toContain(reasonOf(result))
    // Deep but complete: 500k nested conses and their leaves, then with a back-reference (validating pass).
    const depth = 500_000
    const valid = new Uint8Array(2 * depth + 1)
    valid.fill(0xff, 0, depth)
    valid.fill(0x80, depth)
    expect(reasonOf(decodeTyped(SerializedProgram, valid))).toBe("ok")
    const withBackref = new Uint8Array(2 * depth + 2)
    withBackref.set(valid.subarray(0, 2 * depth))
    withBackref.set([0xfe, 0x02], 2 * depth)
    const backref = decodeTyped(SerializedProgram, withBackref)
    expect(["ok", "InvalidProgram"]).toContain(reasonOf(backref))
    // And inside a payload that carries a program (the generator of a block).
    const spend = registry.CoinSpend
    if (spend !== undefined) {
      const input = new Uint8Array(32 + 32 + 8 + 4096)
      input.set(deep.subarray(0, 4096), 72)
      expect(TRUNCATION_REASONS).toContain(reasonOf(decodeTyped(spend, input)))
    }
  })

  it("decoding 1000 hostile inputs allocates nothing sized by their length prefixes", () => {
    const hostile: Array<readonly [AnyCodec, Uint8Array]> = []
    const random = prng(5)
    const sizes = [0xffffffff, 0x7fffffff, 50 * 1024 * 1024, 1 << 24]
    for (let i = 0; i < 1000; i++) {
      const codec = registry[classNames[i % classNames.length]!]!
      // A plausible start (zeros satisfy most flags) with a huge u32 somewhere in the first 64 bytes.
      const input = new Uint8Array(8 + Math.floor(random() * 120))
      const at = Math.floor(random() * (input.length - 4))
      new DataView(input.buffer).setUint32(at, sizes[i % sizes.length]!)
      hostile.push([codec, input])
    }
    const frames = sizes.map((n) => Uint8Array.of(27, 1, 0, 1, ...u32(n), 0, 0))
    const before = process.memoryUsage()
    const results: Array<unknown> = []
    for (const [codec, input] of hostile) results.push(decodeTyped(codec, input))
    for (const frame of frames) results.push(decodeMessage(frame))
    const after = process.memoryUsage()
    expect(results.length).toBe(1000 + frames.length)
    // All inputs together are ~130 kB; a decoder that trusted one prefix would allocate 16 MiB .. 4 GiB.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(8 * 1024 * 1024)
    expect(after.heapUsed - before.heapUsed).toBeLessThan(64 * 1024 * 1024)
  })
})
