/**
 * A `Codec<A>` is the one definition of a Streamable type. From it come:
 * - the fast path: `sizeOf` (sizes first), `write` (one allocation, offset cursor), `read` (DataView, no copies of the input);
 * - `schema`, the type-side Effect Schema of `A` (validation, FastCheck arbitraries) — see `Streamable.schema` for the
 *   `Schema<A, Uint8Array>` boundary;
 * - `toJson` / `fromJson` in the reference's JSON conventions (bytes as `0x` hex, 64/128-bit ints as exact bigints).
 *
 * Codecs are built from the primitives in `Primitives` and the combinators in `Combinators`; a few Chia types with packed
 * layouts implement the interface by hand.
 */
import { Either } from "effect"
import type { Schema } from "effect"
import { CodecError } from "./CodecError.js"
import { Cursor } from "./internal/cursor.js"
import { CodecFailure } from "./internal/failure.js"

/** A JSON value as the codec produces and accepts it; integers of 64 bits and more are `bigint`. */
export type Json = null | boolean | number | bigint | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

export interface Codec<A> {
  /** The type's name as the reference spells it (`FullBlock`, `uint64`, `List[Coin]`). */
  readonly name: string
  /** The encoded size when every value has the same size, else `undefined`. */
  readonly fixedSize: number | undefined
  /** The smallest possible encoded size (guards count prefixes against the bytes left). */
  readonly minSize: number
  /** The type-side schema of `A`. */
  readonly schema: Schema.Schema<A>
  // Methods (not function properties): bivariant parameters make every `Codec<X>` an `AnyCodec`.
  sizeOf(value: A): number
  write(cursor: Cursor, value: A): void
  read(cursor: Cursor): A
  toJson(value: A): Json
  fromJson(json: unknown): A
}

/** The value type of a codec. */
export type TypeOf<C> = C extends Codec<infer A> ? A : never

/**
 * Any codec, whatever its value type. (`Codec<unknown>` would not do: `Schema<A>` is invariant in `A`.) Methods are
 * bivariant in their parameters, so every `Codec<A>` is an `AnyCodec`.
 */
export interface AnyCodec {
  readonly name: string
  readonly fixedSize: number | undefined
  readonly minSize: number
  readonly schema: Schema.Schema.AnyNoContext
  sizeOf(value: unknown): number
  write(cursor: Cursor, value: unknown): void
  read(cursor: Cursor): unknown
  toJson(value: unknown): Json
  fromJson(json: unknown): unknown
}

export { Cursor }

const toCodecError = (codec: { readonly name: string }, e: unknown, encoding = false): CodecError => {
  if (e instanceof CodecFailure) return e.toError(codec.name)
  if (e instanceof RangeError && !encoding) {
    // A DataView read past the end: only reachable if a codec forgot a bounds check; still a typed error.
    return new CodecError({ reason: "Truncated", path: codec.name, offset: -1, detail: e.message })
  }
  if (encoding && (e instanceof TypeError || e instanceof RangeError)) {
    // `sizeOf` runs before any shape check, so a value of the wrong shape (a missing field, a number for bytes)
    // surfaces here as a TypeError; it is the caller's bad value, not a bug.
    return new CodecError({ reason: "InvalidValue", path: codec.name, offset: -1, detail: `value does not fit: ${e.message}` })
  }
  throw e
}

/** Decodes exactly one value that must span all of `bytes`. Throws `CodecError` (for hot paths that handle it). */
export const decodeUnsafe = <A>(codec: Codec<A>, bytes: Uint8Array): A => {
  const cursor = new Cursor(bytes)
  let value: A
  try {
    value = codec.read(cursor)
  } catch (e) {
    throw toCodecError(codec, e)
  }
  if (cursor.offset !== bytes.length) {
    throw new CodecError({
      reason: "TrailingBytes",
      path: codec.name,
      offset: cursor.offset,
      detail: `${bytes.length - cursor.offset} byte(s) not consumed`
    })
  }
  return value
}

/** Decodes exactly one value that must span all of `bytes`. */
export const decode = <A>(codec: Codec<A>, bytes: Uint8Array): Either.Either<A, CodecError> => {
  try {
    return Either.right(decodeUnsafe(codec, bytes))
  } catch (e) {
    if (e instanceof CodecError) return Either.left(e)
    throw e
  }
}

/** Decodes one value at `offset` without requiring it to span the rest; returns the value and the offset after it. */
export const decodePrefix = <A>(
  codec: Codec<A>,
  bytes: Uint8Array,
  offset = 0
): Either.Either<readonly [A, number], CodecError> => {
  const cursor = new Cursor(bytes, offset)
  try {
    const value = codec.read(cursor)
    return Either.right([value, cursor.offset] as const)
  } catch (e) {
    return Either.left(toCodecError(codec, e))
  }
}

/** Encodes into one exactly-sized allocation. Throws `CodecError` for values that do not fit the type. */
export const encodeUnsafe = <A>(codec: Codec<A>, value: A): Uint8Array => {
  try {
    const size = codec.fixedSize ?? codec.sizeOf(value)
    const out = new Uint8Array(size)
    const cursor = new Cursor(out)
    codec.write(cursor, value)
    return out
  } catch (e) {
    throw toCodecError(codec, e, true)
  }
}

/** Encodes into one exactly-sized allocation. */
export const encode = <A>(codec: Codec<A>, value: A): Either.Either<Uint8Array, CodecError> => {
  try {
    return Either.right(encodeUnsafe(codec, value))
  } catch (e) {
    if (e instanceof CodecError) return Either.left(e)
    throw e
  }
}

/** Encodes into `target` at `offset` (for writers that assemble several values in one buffer); returns the end offset. */
export const encodeInto = <A>(codec: Codec<A>, value: A, target: Uint8Array, offset = 0): number => {
  const cursor = new Cursor(target, offset)
  try {
    codec.write(cursor, value)
  } catch (e) {
    throw toCodecError(codec, e, true)
  }
  return cursor.offset
}

/** Converts a value to its JSON form (reference conventions). */
export const toJson = <A>(codec: Codec<A>, value: A): Json => codec.toJson(value)

/** Reads a value from its JSON form (as parsed by `Json.parse`, bigint-safe). */
export const fromJson = <A>(codec: Codec<A>, json: unknown): Either.Either<A, CodecError> => {
  try {
    return Either.right(codec.fromJson(json))
  } catch (e) {
    if (e instanceof CodecFailure) return Either.left(e.toError(codec.name))
    throw e
  }
}
