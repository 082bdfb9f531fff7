/**
 * The message catalogue (chia-messages §A, §C, §E.1): every type number has a name and a payload codec, typed messages
 * encode to the documented envelopes, errors are typed, and the request/response rules match the state machine.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Either } from "effect"
import { readFileSync } from "node:fs"
import * as JsonText from "../../src/Json.js"
import {
  type ChiaMessage,
  classNames,
  codecForClass,
  decodeMessage,
  encodeMessage,
  legacyPayloadCodecs,
  makeMessage,
  type PayloadOf,
  payloadClassName,
  payloadCodecFor,
  payloadCodecs,
  plotSyncLoadedType,
  respondPlotsType
} from "../../src/chia/Catalogue.js"
import {
  allowedSenders,
  isAllowedSender,
  messageTypeName,
  messageTypeNames,
  NO_REPLY_EXPECTED,
  NodeType,
  ProtocolMessageTypes
} from "../../src/chia/MessageTypes.js"
import {
  expectedReplies,
  isValidReply,
  type ResponseOf,
  VALID_REPLY_MESSAGE_MAP
} from "../../src/chia/RequestResponse.js"
import { typeClasses } from "../../src/chia/types/index.js"

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s/g, ""), "hex"))

const failure = <A>(result: Either.Either<A, { reason: string; path: string; offset: number }>) =>
  Either.isLeft(result) ? [result.left.reason, result.left.path, result.left.offset] : ["no error"]

const vectorClasses = (
  Either.getOrThrow(
    JsonText.parse(readFileSync(new URL("../fixtures/chia/protocol_messages.json", import.meta.url), "utf8"))
  ) as ReadonlyArray<{ readonly message: string }>
).map((e) => e.message)

describe("ProtocolMessageTypes", () => {
  it("has every entry of §A with unique numbers; 0, 2, 4 and 114..254 are unassigned", () => {
    const numbers = messageTypeNames.map((n) => ProtocolMessageTypes[n])
    expect(new Set(numbers).size).toBe(numbers.length)
    const assigned = [...Array.from({ length: 113 }, (_, i) => i + 1).filter((n) => n !== 2 && n !== 4), 255]
    expect([...numbers].sort((a, b) => a - b)).toEqual(assigned)
    for (const name of messageTypeNames) expect(messageTypeName(ProtocolMessageTypes[name])).toBe(name)
    for (const n of [0, 2, 4, 114, 200, 254, 256, -1]) expect(messageTypeName(n)).toBeUndefined()
    expect(ProtocolMessageTypes.error).toBe(255)
    expect(ProtocolMessageTypes.configure_window_sizes).toBe(111)
    expect([108, 109, 110, 112, 113].map((n) => messageTypeName(n))).toEqual([
      "solution_response",
      "solve",
      "partial_proofs",
      "plot_sync_loaded2",
      "respond_plots2"
    ])
  })

  it("knows the allowed senders (§A.1)", () => {
    expect(Object.keys(allowedSenders).sort()).toEqual([...messageTypeNames].sort())
    expect(isAllowedSender("handshake", NodeType.WALLET)).toBe(true)
    expect(isAllowedSender("respond_peers_introducer", NodeType.INTRODUCER)).toBe(true)
    expect(isAllowedSender("respond_peers_introducer", NodeType.FULL_NODE)).toBe(false)
    expect(isAllowedSender("request_peers", NodeType.WALLET)).toBe(true)
    expect(isAllowedSender("request_block", NodeType.WALLET)).toBe(false)
    expect(isAllowedSender("solution_response", NodeType.SOLVER)).toBe(true)
    expect(isAllowedSender("none_response", NodeType.FULL_NODE)).toBe(false)
  })
})

describe("catalogue", () => {
  it("maps every message type to a payload codec named as in §A.1", () => {
    expect(Object.keys(payloadCodecs).sort()).toEqual([...messageTypeNames].sort())
    const expected: Record<number, string> = {
      1: "Handshake",
      24: "RequestProofOfWeight",
      43: "RequestPeers",
      66: "NewSignagePointHarvester2",
      68: "RespondPlots",
      76: "RequestSESInfo",
      79: "PlotSyncPlotList",
      80: "PlotSyncPathList",
      83: "PlotSyncPathList",
      108: "SolverResponse",
      109: "SolverInfo",
      110: "PartialProofsData",
      111: "ConfigureWindowSizes",
      112: "PlotSyncPlotList2",
      113: "RespondPlots2",
      255: "Error"
    }
    for (const [type, name] of Object.entries(expected)) expect(payloadCodecFor(Number(type))?.name).toBe(name)
    expect(payloadCodecFor(2)).toBeUndefined()
  })

  it("picks the legacy layout of type 66 by the peer's protocol version (§G.4)", () => {
    expect(payloadCodecFor(66, { protocolVersion: "0.0.36" })?.name).toBe("NewSignagePointHarvester")
    expect(payloadCodecFor(66, { protocolVersion: "0.0.38" })?.name).toBe("NewSignagePointHarvester2")
    expect(payloadCodecFor(66, { protocolVersion: "0.0.100" })?.name).toBe("NewSignagePointHarvester2")
    expect(payloadClassName("new_signage_point_harvester", { protocolVersion: "0.0.9" })).toBe(
      "NewSignagePointHarvester"
    )
    expect(payloadCodecFor(20, { protocolVersion: "0.0.1" })?.name).toBe("NewPeak")
    expect(respondPlotsType("0.0.38")).toBe(113)
    expect(respondPlotsType("0.0.36")).toBe(68)
    expect(plotSyncLoadedType("0.0.38")).toBe(112)
    expect(plotSyncLoadedType("0.0.37")).toBe(79)
    expect(Object.keys(legacyPayloadCodecs)).toEqual(["new_signage_point_harvester"])
  })

  it("registers every class of the vectors and every nested type by name", () => {
    for (const name of [
      ...vectorClasses,
      ...Object.keys(typeClasses),
      "Message",
      "Handshake",
      "ConfigureWindowSizes"
    ]) {
      const codec = codecForClass(name)
      expect(Either.isRight(codec) && codec.right.name, name).toBe(name)
    }
    for (const name of classNames) expect(Either.getOrThrow(codecForClass(name)).name).toBe(name)
    expect(failure(codecForClass("NoSuchClass"))).toEqual(["UnknownClass", "NoSuchClass", -1])
    expect(Either.isLeft(codecForClass("toString"))).toBe(true)
  })
})

describe("typed messages (§E.1)", () => {
  it("request_block with id 5 is 1a 01 0005 00000005 2876952a00", () => {
    const frame = Either.getOrThrow(
      encodeMessage("request_block", { height: 678860074, include_transaction_block: false }, 5)
    )
    expect(hex(frame)).toBe("1a01000500000005 2876952a00".replace(/ /g, ""))
    const message = Either.getOrThrow(decodeMessage(frame))
    expect(message).toEqual(makeMessage("request_block", { height: 678860074, include_transaction_block: false }, 5))
    expect(message.type).toBe(26)
    if (message.name === "request_block") {
      expectTypeOf(message.payload.height).toEqualTypeOf<number>()
      expect(message.payload.height).toBe(678860074)
    } else {
      expect.unreachable()
    }
  })

  it("request_peers with id None is 2b 00 00000000", () => {
    const frame = Either.getOrThrow(encodeMessage("request_peers", {}))
    expect(hex(frame)).toBe("2b0000000000")
    expect(Either.getOrThrow(decodeMessage(frame))).toEqual({
      name: "request_peers",
      type: 43,
      id: undefined,
      payload: {}
    })
  })

  it("the derived Handshake example is 71 bytes", () => {
    const handshake = {
      network_id: "mainnet",
      protocol_version: "0.0.36",
      software_version: "2.5.0",
      server_port: 8444,
      node_type: NodeType.FULL_NODE,
      capabilities: [
        [1, "1"],
        [2, "1"],
        [3, "1"],
        [5, "1"]
      ] as const
    }
    const expected = [
      "01 00 00000041",
      "00000007 6d61696e6e6574 00000006 302e302e3336 00000005 322e352e30 20fc 01",
      "00000004 0001 00000001 31 0002 00000001 31 0003 00000001 31 0005 00000001 31"
    ].join(" ")
    const frame = Either.getOrThrow(encodeMessage("handshake", handshake))
    expect(frame.length).toBe(71)
    expect(hex(frame)).toBe(expected.replace(/ /g, ""))
    expect(Either.getOrThrow(decodeMessage(fromHex(expected))).payload).toEqual(handshake)
  })

  it("decodes the legacy layout of type 66 when told the peer's version", () => {
    const record = (() => {
      const file = new Uint8Array(
        readFileSync(new URL("../fixtures/chia/protocol_messages_bytes-v1.0", import.meta.url))
      )
      const view = new DataView(file.buffer)
      let pos = 0
      for (let i = 0; i < 80; i++) pos += 4 + view.getUint32(pos)
      return file.subarray(pos + 4, pos + 4 + view.getUint32(pos)) // #80 NewSignagePointHarvester
    })()
    const frame = Uint8Array.of(66, 0, ...fromHex(record.length.toString(16).padStart(8, "0")), ...record)
    const legacy = Either.getOrThrow(decodeMessage(frame, { protocolVersion: "0.0.36" }))
    if (legacy.name !== "new_signage_point_harvester") return expect.unreachable()
    expect("filter_prefix_bits" in legacy.payload).toBe(true) // a field only the legacy class has
    const again = Either.getOrThrow(
      encodeMessage("new_signage_point_harvester", legacy.payload, undefined, { protocolVersion: "0.0.36" })
    )
    expect(hex(again)).toBe(hex(frame))
  })

  it("fails with typed errors: unknown type, trailing payload bytes, oversize frames, bad payloads", () => {
    expect(failure(decodeMessage(fromHex("02 00 00000000")))).toEqual(["UnknownMessageType", "Message.type", 0])
    expect(failure(decodeMessage(fromHex("72 00 00000000")))[0]).toBe("UnknownMessageType")
    // request_block with one byte too many in data: the payload does not consume it.
    expect(failure(decodeMessage(fromHex("1a 00 00000006 2876952a0000")))).toEqual([
      "TrailingBytes",
      "RequestBlock",
      11
    ])
    // A bad bool inside the payload: offset counts from the frame start.
    expect(failure(decodeMessage(fromHex("1a 01 0005 00000005 2876952a02")))).toEqual([
      "InvalidBool",
      "RequestBlock.include_transaction_block",
      12
    ])
    // Trailing bytes after the envelope.
    expect(failure(decodeMessage(fromHex("2b 00 00000000 00")))[0]).toBe("TrailingBytes")
    expect(failure(decodeMessage(new Uint8Array(50 * 1024 * 1024 + 1)))[0]).toBe("MessageTooLarge")
    expect(failure(decodeMessage(fromHex("2b 00 00000000"), { maxSize: 5 }))[0]).toBe("MessageTooLarge")
    const big = { filter: new Uint8Array(64) }
    expect(failure(encodeMessage("request_mempool_transactions", big, undefined, { maxSize: 40 }))[0]).toBe(
      "MessageTooLarge"
    )
    expect(failure(encodeMessage("request_block", { height: -1, include_transaction_block: false }))[0]).toBe(
      "InvalidValue"
    )
    expect(failure(encodeMessage("request_block", { height: 1, include_transaction_block: false }, 70000))[0]).toBe(
      "InvalidValue"
    )
  })

  it("types payloads by name", () => {
    expectTypeOf<PayloadOf<"request_block">>().toEqualTypeOf<{
      readonly height: number
      readonly include_transaction_block: boolean
    }>()
    expectTypeOf<Extract<ChiaMessage, { name: "respond_peers" }>["type"]>().toEqualTypeOf<44>()
  })
})

describe("request/response rules (§C)", () => {
  it("follows VALID_REPLY_MESSAGE_MAP, and accepts any reply to requests outside it", () => {
    expect(Object.keys(VALID_REPLY_MESSAGE_MAP).length).toBe(26)
    expect(isValidReply("request_block", "respond_block")).toBe(true)
    expect(isValidReply("request_block", "reject_block")).toBe(true)
    expect(isValidReply("request_block", "respond_blocks")).toBe(false)
    expect(isValidReply("request_header_blocks", "reject_block_headers")).toBe(true)
    expect(isValidReply("request_block_headers", "reject_header_blocks")).toBe(true)
    expect(isValidReply("request_unfinished_block2", "respond_unfinished_block")).toBe(true)
    expect(isValidReply("request_signatures", "respond_peers")).toBe(true)
    expect(expectedReplies("request_signatures")).toEqual(["respond_signatures"])
    expect(expectedReplies("request_plots")).toEqual(["respond_plots", "respond_plots2"])
    expect(expectedReplies("new_peak")).toBeUndefined()
    expect(NO_REPLY_EXPECTED.has("new_peak")).toBe(true)
    expect(NO_REPLY_EXPECTED.size).toBe(10)
    for (const [request, replies] of Object.entries(VALID_REPLY_MESSAGE_MAP)) {
      expect(messageTypeNames).toContain(request)
      for (const reply of replies) expect(messageTypeNames).toContain(reply)
    }
  })

  it("gives the reply names at the type level", () => {
    expectTypeOf<ResponseOf<"request_block">>().toEqualTypeOf<"respond_block" | "reject_block">()
    expectTypeOf<ResponseOf<"send_transaction">>().toEqualTypeOf<"transaction_ack">()
    expectTypeOf<ResponseOf<"solve">>().toEqualTypeOf<"solution_response">()
    expectTypeOf<ResponseOf<"new_peak">>().toEqualTypeOf<keyof typeof ProtocolMessageTypes>()
  })
})
