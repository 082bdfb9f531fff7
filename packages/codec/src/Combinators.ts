/**
 * Streamable combinators: structs (fields in declaration order), `List[T]` (u32 count), `Optional[T]` (flag byte),
 * tuples (concatenation) and fixed arrays (concatenation, no count).
 */
import { Schema } from "effect"
import type { AnyCodec, Codec, Json, TypeOf } from "./Codec.js"
import type { Cursor } from "./internal/cursor.js"
import { CodecFailure, fail, withSegment } from "./internal/failure.js"
import { readLength, uint32 } from "./Primitives.js"

const MAX_NESTING = 64

const enter = (c: { depth: number; offset: number }): void => {
  if (++c.depth > MAX_NESTING) fail("InvalidValue", c.offset, `nesting deeper than ${MAX_NESTING}`)
}

const fixedSizeOf = (codecs: ReadonlyArray<{ readonly fixedSize: number | undefined }>): number | undefined => {
  let total = 0
  for (const codec of codecs) {
    if (codec.fixedSize === undefined) return undefined
    total += codec.fixedSize
  }
  return total
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)


// ---------------------------------------------------------------------------------------------------------------------
// struct

interface StructHelpers {
  readonly enter: (c: Cursor) => void
  readonly fieldFailure: (e: unknown, i: number) => never
  readonly notRecord: (c: Cursor) => never
  readonly isRecord: (u: unknown) => boolean
}

interface CompiledStruct {
  readonly read: (c: Cursor) => unknown
  readonly write: (c: Cursor, value: unknown) => void
  readonly sizeOf: (value: unknown) => number
}

/**
 * Generates the struct's read/write/sizeOf as straight-line code, one function per struct type. Every field then has its
 * own call site (monomorphic: it only ever sees that field's codec) and the decoded object is a literal with a fixed
 * shape. A shared loop over `codecs[i].read` and `out[key] = …` is megamorphic across all structs: decoding the vectors
 * was 1.2× slower per class (median), 2× for struct-heavy ones. Field names only appear as JSON-quoted property keys;
 * the codecs are passed in as arguments.
 * The failing field's index is tracked in `i` for the error path.
 */
const compileStruct = (
  keys: ReadonlyArray<string>,
  codecs: ReadonlyArray<AnyCodec>,
  fixedSize: number | undefined,
  helpers: StructHelpers
): CompiledStruct => {
  const q = (key: string) => JSON.stringify(key)
  const args = codecs.map((_, i) => `f${i}`)
  const reads = keys.map((_, i) => `    const v${i} = f${i}.read(c); i = ${i + 1}`).join("\n")
  // `__proto__` as a literal key would set the prototype; assign such objects property by property.
  const define = (k: string, i: number) =>
    `Object.defineProperty(o, ${q(k)}, { value: v${i}, enumerable: true, writable: true, configurable: true })`
  const literal = keys.includes("__proto__")
    ? `(() => { const o = {}; ${keys.map(define).join("; ")}; return o })()`
    : `{ ${keys.map((k, i) => `${q(k)}: v${i}`).join(", ")} }`
  const writes = keys.map((k, i) => `    f${i}.write(c, value[${q(k)}]); i = ${i + 1}`).join("\n")
  const variable = keys.flatMap((k, i) => (codecs[i]!.fixedSize === undefined ? [`f${i}.sizeOf(value[${q(k)}])`] : []))
  const fixedPart = codecs.reduce((sum, codec) => sum + (codec.fixedSize ?? 0), 0)
  const source = `
"use strict"
return {
  read(c) {
    enter(c)
    let i = 0
    try {
${reads}
      c.depth--
      return ${literal}
    } catch (e) {
      return fieldFailure(e, i)
    }
  },
  write(c, value) {
    if (!isRecord(value)) notRecord(c)
    let i = 0
    try {
${writes}
    } catch (e) {
      fieldFailure(e, i)
    }
  },
  sizeOf(value) {
    return ${fixedSize !== undefined ? fixedSize : [String(fixedPart), ...variable].join(" + ")}
  }
}`
  const factory = new Function("enter", "fieldFailure", "notRecord", "isRecord", ...args, source) as (
    ...deps: ReadonlyArray<unknown>
  ) => CompiledStruct
  return factory(helpers.enter, helpers.fieldFailure, helpers.notRecord, helpers.isRecord, ...codecs)
}

export type StructFields = { readonly [key: string]: AnyCodec }
export type StructType<F extends StructFields> = { readonly [K in keyof F]: TypeOf<F[K]> }

/** A struct/dataclass: its fields concatenated in declaration order (the key order of `fields`). */
export const struct = <F extends StructFields>(name: string, fields: F): Codec<StructType<F>> => {
  const keys = Object.keys(fields)
  const codecs = keys.map((k) => fields[k]!)
  const count = keys.length
  const fixedSize = fixedSizeOf(codecs)
  const minSize = codecs.reduce((sum, codec) => sum + codec.minSize, 0)
  const schemaFields: Record<string, Schema.Schema.AnyNoContext> = {}
  for (let i = 0; i < count; i++) schemaFields[keys[i]!] = codecs[i]!.schema
  const schema = Schema.Struct(schemaFields).annotations({ identifier: name }) as unknown as Schema.Schema<StructType<F>>

  const fieldFailure = (e: unknown, i: number): never => {
    if (e instanceof CodecFailure) throw e.within(keys[i]!)
    throw e
  }
  const notRecord = (c: Cursor): never => fail("InvalidValue", c.offset, `expected a ${name} object`)
  const compiled = compileStruct(keys, codecs, fixedSize, { enter, fieldFailure, notRecord, isRecord })

  return {
    name,
    fixedSize,
    minSize,
    schema,
    sizeOf: compiled.sizeOf,
    write: compiled.write,
    read: compiled.read as (c: Cursor) => StructType<F>,
    toJson(value) {
      const record = value as Record<string, unknown>
      const out: Record<string, Json> = {}
      for (let i = 0; i < count; i++) out[keys[i]!] = codecs[i]!.toJson(record[keys[i]!])
      return out
    },
    fromJson(json) {
      if (!isRecord(json)) return fail("InvalidJson", -1, `expected an object for ${name}`)
      for (const key of Object.keys(json)) {
        if (!(key in fields)) fail("InvalidJson", -1, `unknown field "${key}" in ${name}`)
      }
      const out: Record<string, unknown> = {}
      for (let i = 0; i < count; i++) {
        const key = keys[i]!
        if (!(key in json)) fail("InvalidJson", -1, `missing field "${key}" in ${name}`)
        out[key] = withSegment(key, () => codecs[i]!.fromJson(json[key]))
      }
      return out as StructType<F>
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// List[T]

/**
 * `List[T]`: u32 count + items. The count is checked against the bytes left (count × the item's minimum size) before
 * anything is allocated, so a hostile 4 GiB count in a short input fails at once.
 */
const itemFailure = (e: unknown, i: number): never => {
  if (e instanceof CodecFailure) throw e.within(`[${i}]`)
  throw e
}

/**
 * The list's read loop as its own function per list type (see `compileStruct`): a loop shared by every list sees every
 * item codec at its `item.read` call site.
 */
const compileListRead = (item: AnyCodec, unit: number): ((c: Cursor) => ReadonlyArray<unknown>) =>
  new Function(
    "readLength",
    "enter",
    "itemFailure",
    "item",
    "unit",
    `"use strict"
return function read(c) {
  const count = readLength(c, unit)
  enter(c)
  const out = new Array(count)
  let i = 0
  try {
    for (; i < count; i++) out[i] = item.read(c)
  } catch (e) {
    return itemFailure(e, i)
  }
  c.depth--
  return out
}`
  )(readLength, enter, itemFailure, item, unit) as (c: Cursor) => ReadonlyArray<unknown>

export const list = <A>(item: Codec<A>, name = `List[${item.name}]`): Codec<ReadonlyArray<A>> => {
  // An item of size 0 still costs one byte of budget, so a count can never make the decoder loop without reading.
  const unit = Math.max(item.minSize, 1)
  return {
    name,
    fixedSize: undefined,
    minSize: 4,
    schema: Schema.Array(item.schema),
    sizeOf(value) {
      if (item.fixedSize !== undefined) return 4 + value.length * item.fixedSize
      let size = 4
      for (let i = 0; i < value.length; i++) size += item.sizeOf(value[i]!)
      return size
    },
    write(c, value) {
      if (!Array.isArray(value)) fail("InvalidValue", c.offset, `expected an array for ${name}`)
      if (value.length > 0xffffffff) fail("InvalidValue", c.offset, "too many items for a u32 count")
      uint32.write(c, value.length)
      let i = 0
      try {
        for (; i < value.length; i++) item.write(c, value[i]!)
      } catch (e) {
        if (e instanceof CodecFailure) throw e.within(`[${i}]`)
        throw e
      }
    },
    read: compileListRead(item, unit) as (c: Cursor) => ReadonlyArray<A>,
    toJson: (value) => value.map((v) => item.toJson(v)),
    fromJson(json) {
      if (!Array.isArray(json)) return fail("InvalidJson", -1, `expected an array for ${name}`)
      return json.map((v: unknown, i) => withSegment(`[${i}]`, () => item.fromJson(v)))
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Optional[T]

/** `Optional[T]`: flag 0x00 (None → `undefined`) or 0x01 followed by the value; any other flag is an error. */
export const optional = <A>(item: Codec<A>, name = `Optional[${item.name}]`): Codec<A | undefined> => ({
  name,
  fixedSize: undefined,
  minSize: 1,
  schema: Schema.UndefinedOr(item.schema),
  sizeOf: (value) => (value === undefined ? 1 : 1 + (item.fixedSize ?? item.sizeOf(value))),
  write(c, value) {
    if (value === undefined) {
      c.bytes[c.take(1)] = 0
    } else {
      c.bytes[c.take(1)] = 1
      item.write(c, value)
    }
  },
  read(c) {
    const at = c.take(1)
    const flag = c.bytes[at]!
    if (flag === 0) return undefined
    if (flag !== 1) fail("InvalidOptional", at, `Optional flag must be 0 or 1, got ${flag}`)
    return item.read(c)
  },
  toJson: (value) => (value === undefined ? null : item.toJson(value)),
  fromJson: (json) => (json === null || json === undefined ? undefined : item.fromJson(json))
})

// ---------------------------------------------------------------------------------------------------------------------
// Tuple[..] and fixed arrays

type TupleTypes<T extends ReadonlyArray<AnyCodec>> = { readonly [K in keyof T]: TypeOf<T[K]> }

/** `Tuple[A, B, …]`: the members concatenated; a JSON array. */
export const tuple = <const T extends ReadonlyArray<AnyCodec>>(...members: T): Codec<TupleTypes<T>> => {
  const name = `Tuple[${members.map((m) => m.name).join(", ")}]`
  const fixedSize = fixedSizeOf(members)
  const count = members.length
  return {
    name,
    fixedSize,
    minSize: members.reduce((sum, m) => sum + m.minSize, 0),
    schema: Schema.Tuple(...members.map((m) => m.schema)) as unknown as Schema.Schema<TupleTypes<T>>,
    sizeOf(value) {
      if (fixedSize !== undefined) return fixedSize
      let size = 0
      for (let i = 0; i < count; i++) size += members[i]!.fixedSize ?? members[i]!.sizeOf(value[i])
      return size
    },
    write(c, value) {
      if (!Array.isArray(value) || value.length !== count) fail("InvalidValue", c.offset, `expected a ${count}-tuple`)
      for (let i = 0; i < count; i++) withSegment(`[${i}]`, () => members[i]!.write(c, value[i]))
    },
    read(c) {
      const out = new Array<unknown>(count)
      for (let i = 0; i < count; i++) out[i] = withSegment(`[${i}]`, () => members[i]!.read(c))
      return out as unknown as TupleTypes<T>
    },
    toJson: (value) => members.map((m, i) => m.toJson(value[i])),
    fromJson(json) {
      if (!Array.isArray(json) || json.length !== count) return fail("InvalidJson", -1, `expected a ${count}-element array`)
      return members.map((m, i) => withSegment(`[${i}]`, () => m.fromJson(json[i]))) as unknown as TupleTypes<T>
    }
  }
}

/** `[T; N]`: exactly N items concatenated, no count (e.g. PartialProof.fragments = 16 × uint64). */
export const fixedArray = <A>(item: Codec<A>, length: number, name = `${item.name}[${length}]`): Codec<ReadonlyArray<A>> => ({
  name,
  fixedSize: item.fixedSize === undefined ? undefined : item.fixedSize * length,
  minSize: item.minSize * length,
  schema: Schema.Array(item.schema).pipe(Schema.itemsCount(length)),
  sizeOf(value) {
    let size = 0
    for (let i = 0; i < length; i++) size += item.fixedSize ?? item.sizeOf(value[i]!)
    return size
  },
  write(c, value) {
    if (!Array.isArray(value) || value.length !== length) fail("InvalidValue", c.offset, `expected ${length} items`)
    for (let i = 0; i < length; i++) withSegment(`[${i}]`, () => item.write(c, value[i]!))
  },
  read(c) {
    const out = new Array<A>(length)
    for (let i = 0; i < length; i++) out[i] = withSegment(`[${i}]`, () => item.read(c))
    return out
  },
  toJson: (value) => value.map((v) => item.toJson(v)),
  fromJson(json) {
    if (!Array.isArray(json) || json.length !== length) return fail("InvalidJson", -1, `expected ${length} items`)
    return json.map((v: unknown, i) => withSegment(`[${i}]`, () => item.fromJson(v)))
  }
})
