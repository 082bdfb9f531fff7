import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { Codec, Combinators as C, Primitives as P, Program } from "@peerwire/codec"

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ""), "hex"))

const TimestampedPeerInfo = C.struct("TimestampedPeerInfo", { host: P.str, port: P.uint16, timestamp: P.uint64 })
const RespondPeers = C.struct("RespondPeers", { peer_list: C.list(TimestampedPeerInfo) })
const RequestBlock = C.struct("RequestBlock", { height: P.uint32, include_transaction_block: P.bool })

describe("codec core", () => {
  it("decodes and re-encodes the hand-checked vectors", () => {
    const rb = hex("2876952a00")
    expect(Codec.decodeUnsafe(RequestBlock, rb)).toEqual({ height: 678860074, include_transaction_block: false })
    const rp = hex("00000001 00000009 3132372e302e302e31 20fc 0000000000002a2c")
    const peers = Codec.decodeUnsafe(RespondPeers, rp)
    expect(peers).toEqual({ peer_list: [{ host: "127.0.0.1", port: 8444, timestamp: 10796n }] })
    expect(Codec.encodeUnsafe(RespondPeers, peers)).toEqual(rp)
  })

  it("reports path and offset", () => {
    const bad = hex("00000001 00000009 3132372e302e302e31 20fc 00000000")
    const result = Codec.decode(RespondPeers, bad)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left.reason).toBe("Truncated")
      expect(result.left.path).toBe("RespondPeers.peer_list[0].timestamp")
      expect(result.left.offset).toBe(19)
    }
  })

  it("rejects a hostile count before allocating", () => {
    const result = Codec.decode(RespondPeers, hex("ffffffff 000000"))
    expect(Either.isLeft(result) && result.left.reason).toBe("LengthTooLarge")
  })

  it("scans CLVM programs with back-references", () => {
    expect(Codec.decodeUnsafe(Program.SerializedProgram, hex("80"))).toEqual(hex("80"))
    // (a . b) then a back-reference to the left of the pair just parsed: ff 01 ff 02 fe 02 -> (1 . (2 . 1)) ; path 0b10
    expect(Program.isProgram(hex("ff01ff02fe02"))).toBe(true)
    expect(Program.isProgram(hex("ff01fe02"))).toBe(true)
    expect(Program.isProgram(hex("fe05"))).toBe(false)
  })
})

describe("encoding values of the wrong shape", () => {
  it("is a typed InvalidValue, never a raw exception", () => {
    const result = Codec.encode(RespondPeers, {} as never)
    expect(Either.isLeft(result) && result.left.reason).toBe("InvalidValue")
    const nested = Codec.encode(RespondPeers, { peer_list: [{ host: 1, port: 2, timestamp: 3n }] } as never)
    expect(Either.isLeft(nested)).toBe(true)
  })
})
