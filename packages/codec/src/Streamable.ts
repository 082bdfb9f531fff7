/**
 * The Effect Schema boundary of a codec, and Streamable hashes.
 *
 * `schema(codec)` is a `Schema<A, Uint8Array>`: one `transformOrFail` from `Uint8ArrayFromSelf` whose decode and encode
 * are the fast codec (effect-notes §1.8, §2.2). Its type side is a `Schema.declare` that does not re-walk what the fast
 * decoder just produced: values that came out of the schema's decode are recognised by identity (a `WeakSet`, so they
 * are not kept alive) and pass at once; any other value (`Schema.is`, `Schema.encode` of a hand-built value) is checked
 * against `codec.schema` in full. Encoding goes through `codec.write`, which checks every field again anyway. (So a
 * decoded value mutated in place — they are typed readonly — would still pass `Schema.is`; `encode` would catch it.)
 * Measured on the 116 vectors: this adds ~0.5–1.5 µs per message to `decodeUnsafe` (bench/codec.mjs); a `codec.schema`
 * type side (every field re-validated, programs re-scanned by their filter) added about twice the decode time itself.
 */
import { createHash } from "node:crypto"
import { Arbitrary, Either, ParseResult, Schema } from "effect"
import type { ParseOptions } from "effect/SchemaAST"
import type { Codec } from "./Codec.js"
import { decodeUnsafe, encode, encodeUnsafe } from "./Codec.js"
import { CodecError } from "./CodecError.js"
import { stringify } from "./Json.js"

const isObject = (u: unknown): u is object => (typeof u === "object" && u !== null) || typeof u === "function"

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(a, b) === 0

/**
 * `Schema<A, Uint8Array>` for a codec: `Schema.decodeUnknown(schema)(bytes)` runs the fast decoder and fails with a
 * `ParseError` whose message is the `CodecError` message (reason, field path, byte offset).
 */
export const schema = <A>(codec: Codec<A>): Schema.Schema<A, Uint8Array> => {
  const cached = schemas.get(codec)
  if (cached !== undefined) return cached as Schema.Schema<A, Uint8Array>
  const made = makeSchema(codec)
  schemas.set(codec, made)
  return made
}

// One schema per codec: values decoded by one `schema(codec)` call are then recognised by every other, and the Schema
// AST is built once. Keyed weakly, so codecs made on the fly do not accumulate.
const schemas = new WeakMap<object, unknown>()

const makeSchema = <A>(codec: Codec<A>): Schema.Schema<A, Uint8Array> => {
  const decoded = new WeakSet<object>()
  const validate = ParseResult.validateEither(codec.schema)
  const check = (u: unknown, options: ParseOptions | undefined): Either.Either<A, ParseResult.ParseIssue> =>
    isObject(u) && decoded.has(u) ? Either.right(u as A) : validate(u, options)
  const typeSide = Schema.declare<A, A, readonly []>(
    [],
    {
      decode: () => (u, options) => check(u, options),
      encode: () => (u, options) => check(u, options)
    },
    {
      identifier: codec.name,
      arbitrary: () => Arbitrary.makeLazy(codec.schema),
      // Two values are equal when they serialise to the same bytes (the reference's notion of equality).
      equivalence: () => (a, b) => sameBytes(encodeUnsafe(codec, a), encodeUnsafe(codec, b)),
      pretty: () => (a) => `${codec.name}(${stringify(codec.toJson(a))})`
    }
  )
  return Schema.transformOrFail(Schema.Uint8ArrayFromSelf, typeSide, {
    strict: true,
    decode: (bytes, _options, ast) => {
      try {
        const value = decodeUnsafe(codec, bytes)
        if (isObject(value)) decoded.add(value)
        return ParseResult.succeed(value)
      } catch (e) {
        if (e instanceof CodecError) return ParseResult.fail(new ParseResult.Type(ast, bytes, e.message))
        throw e
      }
    },
    encode: (value, _options, ast) =>
      Either.mapLeft(encode(codec, value), (e) => new ParseResult.Type(ast, value, e.message))
  })
}

// ---------------------------------------------------------------------------------------------------------------------
// Hashes

/** sha256 of bytes, as a fresh 32-byte array. */
export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest())

/**
 * sha256 of the value's serialisation: Streamable `get_hash()` for every type whose hash is defined on its bytes (all
 * Python-streamable classes, and every chia_rs type that does not contain a version-1 ProofOfSpace). Fails with
 * `InvalidValue` when the value does not fit the codec. For header hashes of blocks, use `referenceHash`.
 */
export const hash = <A>(codec: Codec<A>, value: A): Either.Either<Uint8Array, CodecError> =>
  Either.map(encode(codec, value), sha256)

/** Where a version-1 ("v2 proofs") ProofOfSpace sits inside a value, as a field path; `undefined` if there is none. */
export const findV2ProofOfSpace = (value: unknown, path = ""): string | undefined => {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findV2ProofOfSpace(value[i], `${path}[${i}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  const record = value as Record<string, unknown>
  // The logical shape of ProofOfSpace (chia-messages.md §D.3): version 0 is the legacy layout, anything else is v2.
  if ("plot_public_key" in record && "proof" in record && "version" in record && record.version !== 0) return path
  for (const key of Object.keys(record)) {
    const found = findV2ProofOfSpace(record[key], path === "" ? key : `${path}.${key}`)
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * The reference's `get_hash()` where we can compute it: sha256 of the serialisation. Values that contain a version-1
 * ProofOfSpace are refused with `InvalidValue` (path = where the proof sits): chia_rs hashes such a proof through its
 * 32-byte quality string (chia_pos2), not its bytes, and so do the chia_rs types around it (RewardChainBlock →
 * `reward_block_hash`, ChallengeBlockInfo, HeaderBlock, FullBlock, SubSlotData, …). sha256 of the bytes would be a wrong
 * header hash, so until quality-string hashing exists this refuses rather than guess. (Python-streamable parents such as
 * DeclareProofOfSpace do hash their bytes; `hash` gives that.)
 */
export const referenceHash = <A>(codec: Codec<A>, value: A): Either.Either<Uint8Array, CodecError> => {
  const at = findV2ProofOfSpace(value)
  if (at !== undefined) {
    return Either.left(
      new CodecError({
        reason: "InvalidValue",
        path: at === "" ? codec.name : `${codec.name}.${at}`,
        offset: -1,
        detail:
          "contains a version-1 (v2 proofs) ProofOfSpace, whose reference hash uses its quality string, not its bytes; " +
          "not supported yet"
      })
    )
  }
  return hash(codec, value)
}
