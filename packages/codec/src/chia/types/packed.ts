/**
 * Building blocks for the Chia types whose wire layout packs Optional flags and versions into one byte
 * (chia-messages §D.3).
 * A packed type is a flat value made of consecutive `Part`s: runs of plain fields, a shared two-Optional prefix, a
 * versioned generator. Each part reads into and writes from the flat value, so the value keeps the reference's logical
 * fields in their JSON order while the bytes follow the wire order.
 */
import { Arbitrary, Schema } from "effect"
import type { FastCheck } from "effect"
import type { Codec, Json } from "../../Codec.js"
import type { Cursor } from "../../internal/cursor.js"
import { CodecFailure, fail, withSegment } from "../../internal/failure.js"
import type { StructFields } from "../../Combinators.js"

type Obj = Record<string, unknown>
type AnySchema = Schema.Schema<unknown>

/** Flattens an intersection into one object type (for readable hover types). */
export type Flat<T> = { readonly [K in keyof T]: T[K] }

export interface Part<A> {
  readonly keys: ReadonlyArray<string>
  /** The type-side schema of each logical field. */
  readonly fields: Readonly<Record<string, AnySchema>>
  readonly minSize: number
  /** Why the value cannot be encoded as it is (a rule across fields), or `undefined`. */
  check(value: A): string | undefined
  arbitrary(fc: typeof FastCheck): FastCheck.Arbitrary<A>
  sizeOf(value: A): number
  write(c: Cursor, value: A): void
  readInto(c: Cursor, out: Obj): void
  toJsonInto(value: A, out: Record<string, Json>): void
  fromJsonInto(json: Obj, out: Obj, name: string): void
}

export const isRecord = (u: unknown): u is Obj => typeof u === "object" && u !== null && !Array.isArray(u)

/** Rethrows a codec failure with `segment` prepended to its path. */
export const rethrowWithin = (e: unknown, segment: string): never => {
  if (e instanceof CodecFailure) throw e.within(segment)
  throw e
}

/** Reads a JSON field that must be present. */
export const jsonField = <A>(json: Obj, key: string, name: string, read: (u: unknown) => A): A => {
  if (!(key in json)) fail("InvalidJson", -1, `missing field "${key}" in ${name}`)
  return withSegment(key, () => read(json[key]))
}

/** Fails on keys that are not logical fields of `name`. */
export const rejectUnknownKeys = (json: Obj, keys: ReadonlyArray<string>, name: string): void => {
  for (const key of Object.keys(json)) {
    if (!keys.includes(key)) fail("InvalidJson", -1, `unknown field "${key}" in ${name}`)
  }
}

/** Reads a packed prefix byte and checks it against its allowed maximum. */
export const readPrefix = (c: Cursor, max: number, what: string): number => {
  const at = c.take(1)
  const prefix = c.bytes[at]!
  if (prefix > max) fail("InvalidOptional", at, `${what} prefix must be 0..${max}, got ${prefix}`)
  return prefix
}

// ---------------------------------------------------------------------------------------------------------------------
// Plain fields

type PlainType<F extends StructFields> = { readonly [K in keyof F]: F[K] extends Codec<infer A> ? A : never }

/** A run of ordinary streamable fields. */
export const plain = <F extends StructFields>(fields: F): Part<PlainType<F>> => {
  const keys = Object.keys(fields)
  const codecs = keys.map((k) => fields[k]!)
  const schemas: Record<string, AnySchema> = {}
  for (let i = 0; i < keys.length; i++) schemas[keys[i]!] = codecs[i]!.schema
  // Built on first use: arbitraries are for tests, not for the decode path's module load.
  let arbitrary: FastCheck.Arbitrary<PlainType<F>> | undefined
  return {
    keys,
    fields: schemas,
    minSize: codecs.reduce((sum, codec) => sum + codec.minSize, 0),
    check: () => undefined,
    arbitrary: () =>
      (arbitrary ??= Arbitrary.make(Schema.Struct(schemas)) as unknown as FastCheck.Arbitrary<PlainType<F>>),
    sizeOf(value) {
      const record = value as Obj
      let size = 0
      for (let i = 0; i < keys.length; i++) size += codecs[i]!.fixedSize ?? codecs[i]!.sizeOf(record[keys[i]!])
      return size
    },
    write(c, value) {
      const record = value as Obj
      let i = 0
      try {
        for (; i < keys.length; i++) codecs[i]!.write(c, record[keys[i]!])
      } catch (e) {
        rethrowWithin(e, keys[i]!)
      }
    },
    readInto(c, out) {
      let i = 0
      try {
        for (; i < keys.length; i++) out[keys[i]!] = codecs[i]!.read(c)
      } catch (e) {
        rethrowWithin(e, keys[i]!)
      }
    },
    toJsonInto(value, out) {
      const record = value as Obj
      for (let i = 0; i < keys.length; i++) out[keys[i]!] = codecs[i]!.toJson(record[keys[i]!])
    },
    fromJsonInto(json, out, name) {
      for (let i = 0; i < keys.length; i++)
        out[keys[i]!] = jsonField(json, keys[i]!, name, (u) => codecs[i]!.fromJson(u))
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Two Optionals behind one prefix byte: bit 0 = the first is present, bit 1 = the second is present.

type PairType<KA extends string, A, KB extends string, B> = Flat<
  { readonly [K in KA]: A | undefined } & { readonly [K in KB]: B | undefined }
>

export const optionalPair = <KA extends string, A, KB extends string, B>(
  what: string,
  keyA: KA,
  a: Codec<A>,
  keyB: KB,
  b: Codec<B>
): Part<PairType<KA, A, KB, B>> => {
  const optionalA = Schema.UndefinedOr(a.schema) as AnySchema
  const optionalB = Schema.UndefinedOr(b.schema) as AnySchema
  const get = (value: PairType<KA, A, KB, B>): readonly [A | undefined, B | undefined] => {
    const record = value as Obj
    return [record[keyA] as A | undefined, record[keyB] as B | undefined]
  }
  return {
    keys: [keyA, keyB],
    fields: { [keyA]: optionalA, [keyB]: optionalB },
    minSize: 1,
    check: () => undefined,
    arbitrary: (fc) =>
      fc
        .record({
          a: fc.option(Arbitrary.make(a.schema), { nil: undefined }),
          b: fc.option(Arbitrary.make(b.schema), { nil: undefined })
        })
        .map(({ a, b }) => ({ [keyA]: a, [keyB]: b }) as PairType<KA, A, KB, B>),
    sizeOf(value) {
      const [va, vb] = get(value)
      return (
        1 +
        (va === undefined ? 0 : (a.fixedSize ?? a.sizeOf(va))) +
        (vb === undefined ? 0 : (b.fixedSize ?? b.sizeOf(vb)))
      )
    },
    write(c, value) {
      const [va, vb] = get(value)
      c.bytes[c.take(1)] = (va === undefined ? 0 : 1) | (vb === undefined ? 0 : 2)
      if (va !== undefined) withSegment(keyA, () => a.write(c, va))
      if (vb !== undefined) withSegment(keyB, () => b.write(c, vb))
    },
    readInto(c, out) {
      // A bad prefix is reported at the first field it flags.
      const prefix = withSegment(keyA, () => readPrefix(c, 3, what))
      out[keyA] = prefix & 1 ? withSegment(keyA, () => a.read(c)) : undefined
      out[keyB] = prefix & 2 ? withSegment(keyB, () => b.read(c)) : undefined
    },
    toJsonInto(value, out) {
      const [va, vb] = get(value)
      out[keyA] = va === undefined ? null : a.toJson(va)
      out[keyB] = vb === undefined ? null : b.toJson(vb)
    },
    fromJsonInto(json, out, name) {
      out[keyA] = jsonField(json, keyA, name, (u) => (u === null ? undefined : a.fromJson(u)))
      out[keyB] = jsonField(json, keyB, name, (u) => (u === null ? undefined : b.fromJson(u)))
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The packed codec

type Members<P extends ReadonlyArray<Part<unknown>>> = { [I in keyof P]: P[I] extends Part<infer A> ? A : never }
type Intersect<T extends ReadonlyArray<unknown>> = T extends readonly [infer H, ...infer R] ? H & Intersect<R> : unknown

/** The flat value of a packed codec made of parts `P`. */
export type PackedType<P extends ReadonlyArray<Part<unknown>>> = Flat<Intersect<Members<P>>>

/** A codec whose value is the union of the parts' fields, encoded part after part. */
export const packed = <const P extends ReadonlyArray<Part<unknown>>>(
  name: string,
  ...parts: P
): Codec<PackedType<P>> => {
  type A = PackedType<P>
  // The parts only ever see the flat value, which holds each part's fields.
  const members = parts as unknown as ReadonlyArray<Part<A>>
  const keys = members.flatMap((p) => p.keys)
  const fields: Record<string, AnySchema> = {}
  for (const part of members) Object.assign(fields, part.fields)
  const check = (value: A): string | undefined => {
    for (const part of members) {
      const problem = part.check(value)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  const schema = Schema.Struct(fields).pipe(
    Schema.filter((value) => check(value as unknown as A) ?? true),
    Schema.annotations({
      identifier: name,
      arbitrary: () => (fc) =>
        fc.tuple(...members.map((p) => p.arbitrary(fc))).map((values) => Object.assign({}, ...values) as A)
    })
  ) as unknown as Schema.Schema<A>
  return {
    name,
    fixedSize: undefined,
    minSize: members.reduce((sum, p) => sum + p.minSize, 0),
    schema,
    sizeOf(value) {
      let size = 0
      for (const part of members) size += part.sizeOf(value)
      return size
    },
    write(c, value) {
      if (!isRecord(value)) fail("InvalidValue", c.offset, `expected a ${name} object`)
      const problem = check(value)
      if (problem !== undefined) fail("InvalidValue", c.offset, `${name}: ${problem}`)
      for (const part of members) part.write(c, value)
    },
    read(c) {
      const out: Obj = {}
      for (const part of members) part.readInto(c, out)
      return out as A
    },
    toJson(value) {
      const out: Record<string, Json> = {}
      for (const part of members) part.toJsonInto(value, out)
      return out
    },
    fromJson(json) {
      if (!isRecord(json)) return fail("InvalidJson", -1, `expected an object for ${name}`)
      rejectUnknownKeys(json, keys, name)
      const out: Obj = {}
      for (const part of members) part.fromJsonInto(json, out, name)
      return out as A
    }
  }
}
