/** JSON bodies of the local RPC: parsing a request body into an object, and the reference's sorted-key output. */
import { Either } from "effect"
import { type Codec, Json } from "@peerwire/codec"

export type JsonValue = Codec.Json
export type JsonObject = { readonly [key: string]: JsonValue }

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)

// The reference prints with `sort_keys=True`; sorting also makes output stable for tests and diffs.
const sortKeys = (value: JsonValue): JsonValue => {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (isJsonObject(value)) {
    const out: Record<string, JsonValue> = {}
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]!)
    return out
  }
  return value
}

/** One-line JSON with sorted keys; big integers printed exactly. */
export const render = (value: JsonValue): string => Json.stringify(sortKeys(value))

/** Parses body text into a JSON object; an empty (or blank) body is `{}`. Left is a one-line reason. */
export const parseObject = (text: string): Either.Either<JsonObject, string> => {
  if (text.trim() === "") return Either.right({})
  const parsed = Json.parse(text)
  if (Either.isLeft(parsed)) return Either.left(`malformed JSON: ${parsed.left.detail.split("\n")[0]}`)
  if (isJsonObject(parsed.right)) return Either.right(parsed.right)
  const got = parsed.right === null ? "null" : Array.isArray(parsed.right) ? "an array" : typeof parsed.right
  return Either.left(`the body must be a JSON object, got ${got}`)
}
