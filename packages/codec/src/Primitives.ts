/**
 * Streamable primitives: fixed-width big-endian integers, bool, fixed and variable bytes, UTF-8 strings.
 * Integers up to 32 bits are `number`; 64 and 128 bits are `bigint`.
 */
import { Schema } from "effect"
import type { Codec, Json } from "./Codec.js"
import type { Cursor } from "./internal/cursor.js"
import { fail } from "./internal/failure.js"
import { fromHex, toHex } from "./internal/hex.js"

// ---------------------------------------------------------------------------------------------------------------------
// Integers

const numberFromJson = (json: unknown, min: number, max: number, name: string): number => {
  const n = typeof json === "bigint" ? Number(json) : json
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    return fail("InvalidJson", -1, `expected ${name} (${min}..${max}), got ${String(json)}`)
  }
  return n
}

const checkNumber = (value: number, min: number, max: number, name: string, offset: number): void => {
  if (!Number.isInteger(value) || value < min || value > max) fail("InvalidValue", offset, `${value} is not a ${name}`)
}

// Integers are read and written byte by byte on `cursor.bytes` rather than through a DataView: no DataView to create per
// top-level call (see `Cursor`), and the 64-bit paths avoid `getBigUint64`/`setBigUint64`, which cost ~2× more (bench).
// Each width has its own functions, so every call site stays monomorphic. Stores into a Uint8Array keep the low 8 bits
// (ToUint8), which is what two's complement needs for the signed widths too.

const smallInt = (
  name: string,
  size: 1 | 2 | 4,
  min: number,
  max: number,
  read: (c: Cursor) => number,
  store: (bytes: Uint8Array, at: number, value: number) => void
): Codec<number> => ({
  name,
  fixedSize: size,
  minSize: size,
  schema: Schema.Int.pipe(Schema.between(min, max)),
  sizeOf: () => size,
  write(c, value) {
    checkNumber(value, min, max, name, c.offset)
    store(c.bytes, c.take(size), value)
  },
  read,
  toJson: (value) => value,
  fromJson: (json) => numberFromJson(json, min, max, name)
})

const store8 = (b: Uint8Array, at: number, x: number): void => {
  b[at] = x
}
const store16 = (b: Uint8Array, at: number, x: number): void => {
  b[at] = x >>> 8
  b[at + 1] = x
}
const store32 = (b: Uint8Array, at: number, x: number): void => {
  b[at] = x >>> 24
  b[at + 1] = x >>> 16
  b[at + 2] = x >>> 8
  b[at + 3] = x
}
const load32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0

export const uint8 = smallInt("uint8", 1, 0, 0xff, (c) => c.bytes[c.take(1)]!, store8)
export const uint16 = smallInt(
  "uint16",
  2,
  0,
  0xffff,
  (c) => {
    const at = c.take(2)
    return (c.bytes[at]! << 8) | c.bytes[at + 1]!
  },
  store16
)
export const uint32 = smallInt("uint32", 4, 0, 0xffffffff, (c) => load32(c.bytes, c.take(4)), store32)
export const int8 = smallInt("int8", 1, -0x80, 0x7f, (c) => (c.bytes[c.take(1)]! << 24) >> 24, store8)
export const int16 = smallInt(
  "int16",
  2,
  -0x8000,
  0x7fff,
  (c) => {
    const at = c.take(2)
    return ((c.bytes[at]! << 24) >> 16) | c.bytes[at + 1]!
  },
  store16
)
export const int32 = smallInt("int32", 4, -0x80000000, 0x7fffffff, (c) => load32(c.bytes, c.take(4)) | 0, store32)

const bigFromJson = (json: unknown, min: bigint, max: bigint, name: string): bigint => {
  let n: bigint | undefined
  if (typeof json === "bigint") n = json
  else if (typeof json === "number" && Number.isSafeInteger(json)) n = BigInt(json)
  else if (typeof json === "string" && /^-?\d+$/.test(json)) n = BigInt(json)
  if (n === undefined || n < min || n > max) return fail("InvalidJson", -1, `expected ${name}, got ${String(json)}`)
  return n
}

const U32 = 0xffffffffn

/** Unsigned 64-bit at `at`; with `signed`, the high word is taken as signed (two's complement). */
const load64 = (b: Uint8Array, at: number, signed: boolean): bigint => {
  const high = load32(b, at)
  const low = load32(b, at + 4)
  return (BigInt(signed ? high | 0 : high) << 32n) | BigInt(low)
}

/** Stores the low 64 bits of `v` (negative values as two's complement). */
const store64 = (b: Uint8Array, at: number, v: bigint): void => {
  store32(b, at, Number((v >> 32n) & U32))
  store32(b, at + 4, Number(v & U32))
}

const bigInt = (name: string, bits: 64 | 128, signed: boolean): Codec<bigint> => {
  const size = bits / 8
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n
  const read =
    bits === 64
      ? signed
        ? (c: Cursor) => load64(c.bytes, c.take(8), true)
        : (c: Cursor) => load64(c.bytes, c.take(8), false)
      : (c: Cursor) => {
          const at = c.take(16)
          return (load64(c.bytes, at, signed) << 64n) | load64(c.bytes, at + 8, false)
        }
  const write =
    bits === 64
      ? (c: Cursor, v: bigint) => store64(c.bytes, c.take(8), v)
      : (c: Cursor, v: bigint) => {
          const at = c.take(16)
          store64(c.bytes, at, v >> 64n)
          store64(c.bytes, at + 8, v)
        }
  return {
    name,
    fixedSize: size,
    minSize: size,
    schema: Schema.BigIntFromSelf.pipe(Schema.betweenBigInt(min, max)),
    sizeOf: () => size,
    write(c, value) {
      if (typeof value !== "bigint" || value < min || value > max) fail("InvalidValue", c.offset, `${String(value)} is not a ${name}`)
      write(c, value)
    },
    read,
    toJson: (value) => value,
    fromJson: (json) => bigFromJson(json, min, max, name)
  }
}

export const uint64 = bigInt("uint64", 64, false)
export const uint128 = bigInt("uint128", 128, false)
export const int64 = bigInt("int64", 64, true)
export const int128 = bigInt("int128", 128, true)

// ---------------------------------------------------------------------------------------------------------------------
// bool

export const bool: Codec<boolean> = {
  name: "bool",
  fixedSize: 1,
  minSize: 1,
  schema: Schema.Boolean,
  sizeOf: () => 1,
  write(c, value) {
    if (typeof value !== "boolean") fail("InvalidValue", c.offset, `${String(value)} is not a bool`)
    c.bytes[c.take(1)] = value ? 1 : 0
  },
  read(c) {
    const at = c.take(1)
    const b = c.bytes[at]!
    if (b > 1) fail("InvalidBool", at, `bool byte must be 0 or 1, got ${b}`)
    return b === 1
  },
  toJson: (value) => value,
  fromJson: (json) => (typeof json === "boolean" ? json : fail("InvalidJson", -1, `expected a bool, got ${String(json)}`))
}

// ---------------------------------------------------------------------------------------------------------------------
// bytes

const isBytes = (u: unknown): u is Uint8Array => u instanceof Uint8Array

const fixedBytesSchema = (size: number, name: string): Schema.Schema<Uint8Array> =>
  Schema.Uint8ArrayFromSelf.pipe(
    Schema.filter((u) => u.length === size || `expected ${size} bytes`),
    Schema.annotations({
      identifier: name,
      arbitrary: () => (fc) => fc.uint8Array({ minLength: size, maxLength: size })
    })
  )

/** N raw bytes with no prefix (bytes32, G1Element, …). Decoded values are copies, never views of the input. */
export const fixedBytes = (size: number, name = `bytes${size}`): Codec<Uint8Array> => ({
  name,
  fixedSize: size,
  minSize: size,
  schema: fixedBytesSchema(size, name),
  sizeOf: () => size,
  write(c, value) {
    if (!isBytes(value) || value.length !== size) {
      fail("InvalidValue", c.offset, `expected ${size} bytes, got ${isBytes(value) ? value.length : typeof value}`)
    }
    c.bytes.set(value, c.take(size))
  },
  read(c) {
    const at = c.take(size)
    return c.bytes.slice(at, at + size)
  },
  toJson: (value) => toHex(value),
  fromJson(json) {
    const value = fromHex(json)
    return value.length === size ? value : fail("InvalidJson", -1, `expected ${size} bytes, got ${value.length}`)
  }
})

export const bytes4 = fixedBytes(4)
export const bytes8 = fixedBytes(8)
export const bytes32 = fixedBytes(32)
export const bytes48 = fixedBytes(48)
export const bytes96 = fixedBytes(96)
export const bytes100 = fixedBytes(100)
/** A compressed BLS12-381 G1 point. Carried as bytes; curve checks belong to whoever verifies signatures. */
export const G1Element = fixedBytes(48, "G1Element")
/** A compressed BLS12-381 G2 point (a signature). */
export const G2Element = fixedBytes(96, "G2Element")

/** Reads a u32 length prefix and checks it against the bytes left before anything is allocated. */
export const readLength = (c: Cursor, unit = 1): number => {
  const at = c.take(4)
  const length = load32(c.bytes, at)
  if (length * unit > c.remaining) {
    fail("LengthTooLarge", at, `length prefix ${length}${unit > 1 ? ` × ${unit}` : ""} exceeds the ${c.remaining} byte(s) left`)
  }
  return length
}

const writeLength = (c: Cursor, length: number): void => {
  if (length > 0xffffffff) fail("InvalidValue", c.offset, `length ${length} does not fit a u32 prefix`)
  store32(c.bytes, c.take(4), length)
}

/** Variable bytes: u32 length + data. */
export const bytes: Codec<Uint8Array> = {
  name: "bytes",
  fixedSize: undefined,
  minSize: 4,
  schema: Schema.Uint8ArrayFromSelf.pipe(
    Schema.annotations({ identifier: "bytes", arbitrary: () => (fc) => fc.uint8Array({ maxLength: 64 }) })
  ),
  sizeOf: (value) => 4 + value.length,
  write(c, value) {
    if (!isBytes(value)) fail("InvalidValue", c.offset, `expected bytes, got ${typeof value}`)
    writeLength(c, value.length)
    c.bytes.set(value, c.take(value.length))
  },
  read(c) {
    const length = readLength(c)
    const at = c.take(length)
    return c.bytes.slice(at, at + length)
  },
  toJson: (value) => toHex(value),
  fromJson: (json) => fromHex(json)
}

// ---------------------------------------------------------------------------------------------------------------------
// str

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const utf8Encoder = new TextEncoder()

/** UTF-8 string: u32 byte length + bytes. Invalid UTF-8 fails to decode; lone surrogates fail to encode. */
export const str: Codec<string> = {
  name: "str",
  fixedSize: undefined,
  minSize: 4,
  schema: Schema.String.pipe(Schema.filter((s) => s.isWellFormed() || "not well-formed UTF-16")),
  sizeOf: (value) => 4 + Buffer.byteLength(value, "utf8"),
  write(c, value) {
    if (typeof value !== "string" || !value.isWellFormed()) fail("InvalidUtf8", c.offset, "string is not well-formed UTF-16")
    const start = c.offset + 4
    const bytes = c.bytes
    // ASCII prefix byte by byte: `subarray` for `encodeInto` would force a small output array out of the V8 heap,
    // which costs more than encoding a short host name or version string.
    let i = 0
    if (start + value.length <= c.end) {
      for (; i < value.length; i++) {
        const code = value.charCodeAt(i)
        if (code > 0x7f) break
        bytes[start + i] = code
      }
    }
    let written = i
    if (i < value.length) {
      const rest = value.slice(i)
      const result = utf8Encoder.encodeInto(rest, bytes.subarray(Math.min(start + i, c.end), c.end))
      // A target too small for the whole string (only `encodeInto` with a short buffer) must not truncate it silently.
      if (result.read !== rest.length) fail("Truncated", c.offset, `no room for the ${Buffer.byteLength(value)}-byte string`)
      written += result.written
    }
    writeLength(c, written)
    c.take(written)
  },
  read(c) {
    const length = readLength(c)
    const at = c.take(length)
    try {
      return utf8Decoder.decode(c.bytes.subarray(at, at + length))
    } catch {
      return fail("InvalidUtf8", at, "str bytes are not valid UTF-8")
    }
  },
  toJson: (value) => value,
  fromJson: (json) => (typeof json === "string" ? json : fail("InvalidJson", -1, `expected a string, got ${typeof json}`))
}

export type { Json }
