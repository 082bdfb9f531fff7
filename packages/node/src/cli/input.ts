/**
 * Shared pieces of the codec subcommands: reading an argument or stdin (`-`), hex parsing, one-line failures and the
 * "did you mean" list for class names.
 */
import { Console, Data, Effect } from "effect"
import { Codec, type CodecError, Json } from "@peerwire/codec"
import * as Catalogue from "@peerwire/codec/chia/Catalogue"

/** A failure already explained to the user: the bin prints `message` on one line and exits with code 1. */
export class CliFailure extends Data.TaggedError("CliFailure")<{ readonly message: string }> {}

export const failWith = (message: string): Effect.Effect<never, CliFailure> => Effect.fail(new CliFailure({ message }))

/** The failure line for a codec error: reason, field path and offset (the `CodecError` message). */
export const fromCodecError = (error: CodecError): CliFailure => new CliFailure({ message: error.message })

const readStdin = Effect.tryPromise({
  try: async () => {
    const chunks: Array<Buffer> = []
    for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
    return Buffer.concat(chunks).toString("utf8")
  },
  catch: (e) => new CliFailure({ message: `cannot read stdin: ${String(e)}` })
})

/** The argument's text, or all of stdin when it is `-`. */
export const argumentText = (argument: string): Effect.Effect<string, CliFailure> =>
  argument === "-" ? readStdin : Effect.succeed(argument)

const HEX = /^[0-9a-fA-F]*$/

/** Hex with or without `0x`; whitespace anywhere is ignored. */
export const parseHex = (text: string): Effect.Effect<Uint8Array, CliFailure> => {
  const compact = text.replace(/\s+/g, "")
  const digits = compact.startsWith("0x") || compact.startsWith("0X") ? compact.slice(2) : compact
  if (!HEX.test(digits)) {
    const at = digits.search(/[^0-9a-fA-F]/)
    return failWith(`not hex: unexpected "${digits[at]}" at character ${at}`)
  }
  if (digits.length % 2 !== 0) return failWith(`not hex: odd number of digits (${digits.length})`)
  return Effect.succeed(new Uint8Array(Buffer.from(digits, "hex")))
}

/** JSON text, bigint-safe. */
export const parseJson = (text: string): Effect.Effect<unknown, CliFailure> =>
  Effect.mapError(Json.parse(text), (e) => new CliFailure({ message: `invalid JSON: ${e.detail}` }))

export const printJson = (json: Codec.Json, compact: boolean): Effect.Effect<void> =>
  Console.log(Json.stringify(json, compact ? undefined : 2))

const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}

/** Up to `limit` names close to `name`: same letters ignoring case, substrings, or a small edit distance. */
export const closeMatches = (name: string, names: ReadonlyArray<string>, limit = 5): ReadonlyArray<string> => {
  const wanted = name.toLowerCase()
  return names
    .map((candidate) => {
      const lower = candidate.toLowerCase()
      const score = lower === wanted ? 0 : lower.includes(wanted) || wanted.includes(lower) ? 1 : 1 + distance(wanted, lower)
      return { candidate, score }
    })
    .filter(({ score }) => score <= Math.max(3, Math.ceil(wanted.length / 3)))
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map(({ candidate }) => candidate)
}

/** The codec of a class name, or a failure line that lists close matches. */
export const codecForClass = (name: string): Effect.Effect<Codec.AnyCodec, CliFailure> => {
  const found = Catalogue.codecForClass(name)
  if (found._tag === "Right") return Effect.succeed(found.right as unknown as Codec.AnyCodec)
  const matches = closeMatches(name, Catalogue.classNames)
  const hint = matches.length > 0 ? `; did you mean ${matches.join(", ")}?` : "; see `peerwire decode --help`"
  return failWith(`unknown class "${name}"${hint}`)
}
