/**
 * `peerwire decode <ClassName> <hex|->`: one value of a class, printed as JSON in the reference's conventions.
 * `peerwire decode --message <hex|->`: a whole Message envelope as `{ "type", "name", "id", "data" }`, `data` being the
 * decoded payload.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Effect } from "effect"
import { Codec, CodecError } from "@peerwire/codec"
import * as Catalogue from "@peerwire/codec/chia/Catalogue"
import { argumentText, codecForClass, failWith, fromCodecError, parseHex, printJson } from "./input.js"

const message = Options.boolean("message").pipe(
  Options.withAlias("m"),
  Options.withDescription("Decode a whole Message envelope (type, id, data) and its payload; takes only <hex|->.")
)

const protocolVersion = Options.text("protocol-version").pipe(
  Options.optional,
  Options.withDescription("With --message: the peer's protocol_version, for version-dependent layouts (type 66).")
)

const compact = Options.boolean("compact").pipe(Options.withDescription("Print the JSON on one line."))

const args = Args.text({ name: "ClassName> <hex|-" }).pipe(
  Args.between(1, 2),
  Args.withDescription("A class name (e.g. RespondBlock) and its bytes as hex (0x optional, whitespace ignored) or - for stdin.")
)

const decodeClass = (className: string, input: string, compactOutput: boolean) =>
  Effect.gen(function* () {
    const codec = yield* codecForClass(className)
    const bytes = yield* parseHex(yield* argumentText(input))
    const value = yield* Effect.mapError(Codec.decode(codec, bytes), fromCodecError)
    yield* printJson(codec.toJson(value), compactOutput)
  })

const decodeEnvelope = (input: string, version: string | undefined, compactOutput: boolean) =>
  Effect.gen(function* () {
    const frame = yield* parseHex(yield* argumentText(input))
    const decoded = yield* Effect.mapError(Catalogue.decodeMessage(frame, { protocolVersion: version }), fromCodecError)
    const codec = Catalogue.payloadCodecFor(decoded.type, { protocolVersion: version })
    if (codec === undefined) {
      return yield* Effect.fail(
        fromCodecError(new CodecError({ reason: "UnknownMessageType", path: "Message.type", offset: 0, detail: `${decoded.type}` }))
      )
    }
    yield* printJson(
      { type: decoded.type, name: decoded.name, id: decoded.id ?? null, data: codec.toJson(decoded.payload) },
      compactOutput
    )
  })

export const decode = Command.make(
  "decode",
  { args, message, protocolVersion, compact },
  ({ args, compact, message, protocolVersion }) => {
    const version = protocolVersion._tag === "Some" ? protocolVersion.value : undefined
    if (message) {
      return args.length === 1
        ? decodeEnvelope(args[0]!, version, compact)
        : failWith("decode --message takes one argument: <hex|->")
    }
    return args.length === 2
      ? decodeClass(args[0]!, args[1]!, compact)
      : failWith("decode takes <ClassName> <hex|-> (or --message <hex|->)")
  }
).pipe(Command.withDescription("Decode Streamable bytes (hex or stdin) to JSON."))

