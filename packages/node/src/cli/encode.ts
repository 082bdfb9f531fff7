/**
 * `peerwire encode <ClassName> <json|->`: a value from its JSON form (the reference's conventions; big integers exact)
 * to hex. `peerwire encode --message <json|->` takes `{ "type" or "name", "id", "data" }` (what `decode --message` prints).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Console, Effect } from "effect"
import { Codec } from "@peerwire/codec"
import * as Catalogue from "@peerwire/codec/chia/Catalogue"
import * as Message from "@peerwire/codec/chia/Message"
import * as MessageTypes from "@peerwire/codec/chia/MessageTypes"
import { argumentText, codecForClass, failWith, fromCodecError, parseJson } from "./input.js"

const message = Options.boolean("message").pipe(
  Options.withAlias("m"),
  Options.withDescription("Encode a whole Message: JSON { \"type\" or \"name\", \"id\", \"data\": payload JSON }.")
)

const protocolVersion = Options.text("protocol-version").pipe(
  Options.optional,
  Options.withDescription("With --message: the peer's protocol_version, for version-dependent layouts (type 66).")
)

const args = Args.text({ name: "ClassName> <json|-" }).pipe(
  Args.between(1, 2),
  Args.withDescription("A class name (e.g. RequestBlock) and the value as JSON, or - for stdin.")
)

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")

const encodeClass = (className: string, input: string) =>
  Effect.gen(function* () {
    const codec = yield* codecForClass(className)
    const json = yield* parseJson(yield* argumentText(input))
    const value = yield* Effect.mapError(Codec.fromJson(codec, json), fromCodecError)
    const bytes = yield* Effect.mapError(Codec.encode(codec, value), fromCodecError)
    yield* Console.log(toHex(bytes))
  })

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const messageType = (json: Record<string, unknown>): number | undefined => {
  if (typeof json.name === "string") {
    return MessageTypes.isMessageTypeName(json.name) ? MessageTypes.ProtocolMessageTypes[json.name] : undefined
  }
  const type = typeof json.type === "bigint" ? Number(json.type) : json.type
  return typeof type === "number" && MessageTypes.messageTypeName(type) !== undefined ? type : undefined
}

const encodeEnvelope = (input: string, version: string | undefined) =>
  Effect.gen(function* () {
    const json = yield* parseJson(yield* argumentText(input))
    if (!isRecord(json)) return yield* failWith("encode --message expects a JSON object { type or name, id, data }")
    const type = messageType(json)
    if (type === undefined) return yield* failWith(`unknown message type ${String(json.name ?? json.type)}`)
    const codec = Catalogue.payloadCodecFor(type, { protocolVersion: version })!
    const id = json.id === null || json.id === undefined ? undefined : Number(json.id)
    const payload = yield* Effect.mapError(Codec.fromJson(codec, json.data), fromCodecError)
    const frame = yield* Effect.mapError(Message.encodePayload(type, id, codec, payload), fromCodecError)
    yield* Console.log(toHex(frame))
  })

export const encode = Command.make("encode", { args, message, protocolVersion }, ({ args, message, protocolVersion }) => {
  const version = protocolVersion._tag === "Some" ? protocolVersion.value : undefined
  if (message) {
    return args.length === 1 ? encodeEnvelope(args[0]!, version) : failWith("encode --message takes one argument: <json|->")
  }
  return args.length === 2
    ? encodeClass(args[0]!, args[1]!)
    : failWith("encode takes <ClassName> <json|-> (or --message <json|->)")
}).pipe(Command.withDescription("Encode a JSON value of a class to hex."))

