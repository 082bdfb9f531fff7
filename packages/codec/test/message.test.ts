import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { Codec, Combinators as C, Primitives as P } from "@peerwire/codec"
import { decodeFrame, encodeFrame, encodePayload, MAX_MESSAGE_SIZE, Message } from "../src/chia/Message.js"

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ""), "hex"))
const toHex = (u: Uint8Array) => Buffer.from(u).toString("hex")

const RequestBlock = C.struct("RequestBlock", { height: P.uint32, include_transaction_block: P.bool })
const Capability = C.tuple(P.uint16, P.str)
const Handshake = C.struct("Handshake", {
  network_id: P.str,
  protocol_version: P.str,
  software_version: P.str,
  server_port: P.uint16,
  node_type: P.uint8,
  capabilities: C.list(Capability)
})

// chia-messages.md §E.1
const REQUEST_BLOCK_ID_5 = "1a 01 0005 00000005 2876952a00"
const REQUEST_PEERS = "2b 00 00000000"
const HANDSHAKE =
  "01 00 00000041 00000007 6d61696e6e6574 00000006 302e302e3336 00000005 322e352e30 20fc 01 00000004 " +
  "0001 00000001 31 0002 00000001 31 0003 00000001 31 0005 00000001 31"

const leftOf = <A>(e: Either.Either<A, unknown>) => {
  if (Either.isRight(e)) throw new Error("expected a Left")
  return e.left
}

describe("Message envelope", () => {
  it("decodes request_block with id 5", () => {
    const frame = hex(REQUEST_BLOCK_ID_5)
    const message = Either.getOrThrow(decodeFrame(frame))
    expect(message.type).toBe(0x1a)
    expect(message.id).toBe(5)
    expect(Codec.decodeUnsafe(RequestBlock, message.data)).toEqual({ height: 678860074, include_transaction_block: false })
    expect(toHex(Either.getOrThrow(encodeFrame(message)))).toBe(toHex(frame))
    const direct = Either.getOrThrow(encodePayload(0x1a, 5, RequestBlock, { height: 678860074, include_transaction_block: false }))
    expect(toHex(direct)).toBe(toHex(frame))
  })

  it("decodes request_peers (empty payload, no id)", () => {
    const frame = hex(REQUEST_PEERS)
    expect(Either.getOrThrow(decodeFrame(frame))).toEqual({ type: 0x2b, id: undefined, data: new Uint8Array(0) })
    const empty = C.struct("RequestPeers", {})
    expect(toHex(Either.getOrThrow(encodePayload(0x2b, undefined, empty, {})))).toBe(toHex(frame))
  })

  it("decodes and re-encodes the 71-byte handshake", () => {
    const frame = hex(HANDSHAKE)
    expect(frame.length).toBe(71)
    const message = Either.getOrThrow(decodeFrame(frame))
    expect(message).toMatchObject({ type: 1, id: undefined })
    const handshake = Codec.decodeUnsafe(Handshake, message.data)
    expect(handshake).toEqual({
      network_id: "mainnet",
      protocol_version: "0.0.36",
      software_version: "2.5.0",
      server_port: 8444,
      node_type: 1,
      capabilities: [[1, "1"], [2, "1"], [3, "1"], [5, "1"]]
    })
    expect(toHex(Either.getOrThrow(encodePayload(1, undefined, Handshake, handshake)))).toBe(toHex(frame))
    expect(toHex(Codec.encodeUnsafe(Message, message))).toBe(toHex(frame))
  })

  it("gives data as a view into a frame that itself is a view (nonzero byteOffset)", () => {
    const backing = new Uint8Array(100)
    backing.set(hex(REQUEST_BLOCK_ID_5), 7)
    const frame = backing.subarray(7, 7 + 13)
    const message = Either.getOrThrow(decodeFrame(frame))
    expect(message.data.buffer).toBe(backing.buffer)
    expect(message.data.byteOffset).toBe(7 + 8)
    expect(toHex(message.data)).toBe("2876952a00")
  })

  it("fails with typed errors naming the field and offset", () => {
    expect(leftOf(decodeFrame(hex("")))).toMatchObject({ reason: "Truncated", path: "Message.type", offset: 0 })
    expect(leftOf(decodeFrame(hex("1a")))).toMatchObject({ reason: "Truncated", path: "Message.id", offset: 1 })
    expect(leftOf(decodeFrame(hex("1a 02 00000000")))).toMatchObject({ reason: "InvalidOptional", path: "Message.id", offset: 1 })
    expect(leftOf(decodeFrame(hex("1a 01 00")))).toMatchObject({ reason: "Truncated", path: "Message.id", offset: 2 })
    expect(leftOf(decodeFrame(hex("1a 00 000000")))).toMatchObject({ reason: "Truncated", path: "Message.data", offset: 2 })
    expect(leftOf(decodeFrame(hex("1a 00 ffffffff 00")))).toMatchObject({ reason: "LengthTooLarge", path: "Message.data", offset: 2 })
    expect(leftOf(decodeFrame(hex("1a 00 00000001 0000")))).toMatchObject({ reason: "TrailingBytes", path: "Message", offset: 7 })
    expect(leftOf(Codec.decode(Message, hex("1a 00 00000002 00")))).toMatchObject({ reason: "LengthTooLarge" })
  })

  it("refuses frames over the maximum size before parsing", () => {
    // An unparseable frame one byte over the limit: MessageTooLarge, not a parse error.
    const frame = new Uint8Array(MAX_MESSAGE_SIZE + 1).fill(0xff)
    expect(leftOf(decodeFrame(frame))).toMatchObject({ reason: "MessageTooLarge", path: "Message" })
    expect(leftOf(decodeFrame(hex(REQUEST_BLOCK_ID_5), 12))).toMatchObject({ reason: "MessageTooLarge" })
    expect(Either.isRight(decodeFrame(hex(REQUEST_BLOCK_ID_5), 13))).toBe(true)
    expect(leftOf(encodePayload(1, undefined, P.bytes, new Uint8Array(100), 50))).toMatchObject({ reason: "MessageTooLarge" })
  })

  it("refuses values that do not fit the envelope when encoding", () => {
    expect(leftOf(encodeFrame({ type: 256, id: undefined, data: new Uint8Array(0) }))).toMatchObject({
      reason: "InvalidValue",
      path: "Message.type"
    })
    expect(leftOf(encodeFrame({ type: 1, id: 70000, data: new Uint8Array(0) }))).toMatchObject({ path: "Message.id" })
    const bad = encodePayload(1, 1, RequestBlock, { height: -1, include_transaction_block: true })
    expect(leftOf(bad)).toMatchObject({ reason: "InvalidValue", path: "Message.data.height" })
  })

  it("has a JSON form", () => {
    const message = Either.getOrThrow(decodeFrame(hex(REQUEST_BLOCK_ID_5)))
    const json = Codec.toJson(Message, message)
    expect(json).toEqual({ type: 26, id: 5, data: "0x2876952a00" })
    expect(Either.getOrThrow(Codec.fromJson(Message, json))).toEqual(message)
    expect(leftOf(Codec.fromJson(Message, { type: 26, id: null, data: "0x", extra: 1 }))).toMatchObject({ reason: "InvalidJson" })
  })
})
