import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, ParseResult, Schema } from "effect"
import { Codec, Combinators as C, Primitives as P } from "@peerwire/codec"
import { readFileSync } from "node:fs"
import { classes } from "../src/chia/Catalogue.js"
import * as Streamable from "../src/Streamable.js"

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ""), "hex"))

const TimestampedPeerInfo = C.struct("TimestampedPeerInfo", { host: P.str, port: P.uint16, timestamp: P.uint64 })
const RespondPeers = C.struct("RespondPeers", { peer_list: C.list(TimestampedPeerInfo) })
const RESPOND_PEERS = hex("00000001 00000009 3132372e302e302e31 20fc 0000000000002a2c")

// A stand-in with the logical shape of ProofOfSpace (§D.3) to exercise the hash refusal without the catalogue.
const FakePoS = C.struct("ProofOfSpace", { plot_public_key: P.bytes4, version: P.uint8, proof: P.bytes })
const Holder = C.struct("Holder", { height: P.uint32, pos: C.list(FakePoS) })

describe("Streamable.schema", () => {
  const schema = Streamable.schema(RespondPeers)

  it.effect("decodes and encodes through Schema", () =>
    Effect.gen(function* () {
      const value = yield* Schema.decodeUnknown(schema)(RESPOND_PEERS)
      expect(value).toEqual({ peer_list: [{ host: "127.0.0.1", port: 8444, timestamp: 10796n }] })
      expect(yield* Schema.encode(schema)(value)).toEqual(RESPOND_PEERS)
      // A hand-built value (not from decode) is validated against the codec's type-side schema.
      const built = { peer_list: [{ host: "::1", port: 1, timestamp: 2n }] }
      expect(yield* Schema.decodeUnknown(schema)(yield* Schema.encode(schema)(built))).toEqual(built)
    }))

  it.effect("fails with a ParseError carrying the CodecError message (path + offset)", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Schema.decodeUnknown(schema)(RESPOND_PEERS.subarray(0, 19)))
      expect(ParseResult.isParseError(error)).toBe(true)
      expect(error.message).toContain("Truncated in RespondPeers.peer_list[0].timestamp at offset 19")
      const notBytes = yield* Effect.flip(Schema.decodeUnknown(schema)("00"))
      expect(notBytes.message).toContain("Uint8Array")
    }))

  it("checks hand-built values on the type side and on encode", () => {
    expect(Schema.is(schema)({ peer_list: [] })).toBe(true)
    expect(Schema.is(schema)({ peer_list: [{ host: "x", port: 70000, timestamp: 1n }] })).toBe(false)
    const bad = Schema.encodeEither(schema)({ peer_list: [{ host: "x", port: 70000, timestamp: 1n }] })
    expect(Either.isLeft(bad)).toBe(true)
    // A lone surrogate cannot be encoded as UTF-8.
    const badUtf = Schema.encodeEither(schema)({ peer_list: [{ host: "\uD800", port: 1, timestamp: 1n }] })
    expect(Either.isLeft(badUtf)).toBe(true)
  })

  it("compares values by their serialisation", () => {
    const a = Codec.decodeUnsafe(RespondPeers, RESPOND_PEERS)
    const b = Codec.decodeUnsafe(RespondPeers, RESPOND_PEERS)
    expect(Schema.equivalence(schema)(a, b)).toBe(true)
    expect(Schema.equivalence(schema)(a, { peer_list: [] })).toBe(false)
  })
})

describe("Streamable.hash", () => {
  it("is sha256 of the serialisation", () => {
    const value = Codec.decodeUnsafe(RespondPeers, RESPOND_PEERS)
    const digest = Either.getOrThrow(Streamable.hash(RespondPeers, value))
    expect(Buffer.from(digest).toString("hex")).toBe(
      Buffer.from(Streamable.sha256(RESPOND_PEERS)).toString("hex")
    )
    expect(Buffer.from(Streamable.sha256(new Uint8Array(0))).toString("hex")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    expect(Either.isLeft(Streamable.hash(P.uint8, 300))).toBe(true)
  })

  it("referenceHash refuses a value containing a version-1 ProofOfSpace, naming where it sits", () => {
    const legacy = { plot_public_key: hex("00000000"), version: 0, proof: hex("01") }
    const v2 = { ...legacy, version: 1 }
    expect(Either.getOrThrow(Streamable.referenceHash(Holder, { height: 1, pos: [legacy] }))).toEqual(
      Either.getOrThrow(Streamable.hash(Holder, { height: 1, pos: [legacy] }))
    )
    const refused = Streamable.referenceHash(Holder, { height: 1, pos: [legacy, v2] })
    expect(Either.isLeft(refused) && refused.left).toMatchObject({ reason: "InvalidValue", path: "Holder.pos[1]" })
    const top = Streamable.referenceHash(FakePoS, v2)
    expect(Either.isLeft(top) && top.left).toMatchObject({ path: "ProofOfSpace" })
  })
})

describe("Streamable.referenceHash on catalogue classes", () => {
  // Vector #17 is RespondBlock (fixtures from chia-blockchain, see ./fixtures/chia/README.md); its block's proof of space
  // is version 1 (prefix 0x02), like 15 of the PoS in the vectors.
  const file = readFileSync(new URL("./fixtures/chia/protocol_messages_bytes-v1.0", import.meta.url))
  const record = (wanted: number): Uint8Array => {
    for (let at = 0, i = 0; at < file.length; i++) {
      const length = file.readUInt32BE(at)
      if (i === wanted) return new Uint8Array(file.subarray(at + 4, at + 4 + length))
      at += 4 + length
    }
    throw new Error(`no record ${wanted}`)
  }

  it("refuses a block with a v2 proof of space, naming its path", () => {
    const block = Codec.decodeUnsafe(classes.RespondBlock, record(17))
    const result = Streamable.referenceHash(classes.RespondBlock, block)
    expect(Either.isLeft(result) && result.left).toMatchObject({
      reason: "InvalidValue",
      path: "RespondBlock.block.reward_chain_block.proof_of_space"
    })
    // sha256 of the bytes is still available, as `hash`.
    expect(Either.getOrThrow(Streamable.hash(classes.RespondBlock, block))).toEqual(Streamable.sha256(record(17)))
  })

  it("hashes values without one as sha256 of their bytes", () => {
    const request = Codec.decodeUnsafe(classes.RequestBlock, record(12))
    expect(Either.getOrThrow(Streamable.referenceHash(classes.RequestBlock, request))).toEqual(Streamable.sha256(record(12)))
  })
})
