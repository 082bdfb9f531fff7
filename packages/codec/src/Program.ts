/**
 * `SerializedProgram` / `Program`: a CLVM serialisation carried verbatim, with no length prefix (its extent comes from
 * scanning the structure). The value is the serialisation's bytes (a copy); JSON is `0x` hex.
 */
import { Schema } from "effect"
import type { Codec } from "./Codec.js"
import { programEnd } from "./internal/clvm.js"
import { fail } from "./internal/failure.js"
import { fromHex, toHex } from "./internal/hex.js"

/** True when `bytes` is exactly one well-formed CLVM serialisation. */
export const isProgram = (bytes: Uint8Array): boolean => {
  try {
    return programEnd(bytes, 0, bytes.length) === bytes.length
  } catch {
    return false
  }
}

const atomArbitrary = (fc: typeof import("effect").FastCheck) =>
  fc.oneof(
    fc.constant(Uint8Array.of(0x80)),
    fc.integer({ min: 0, max: 0x7f }).map((b) => Uint8Array.of(b)),
    fc.uint8Array({ minLength: 1, maxLength: 70 }).map((payload) =>
      payload.length < 64
        ? Uint8Array.of(0x80 | payload.length, ...payload)
        : Uint8Array.of(0xc0 | (payload.length >> 8), payload.length & 0xff, ...payload)
    )
  )

const programSchema: Schema.Schema<Uint8Array> = Schema.Uint8ArrayFromSelf.pipe(
  Schema.filter((u) => isProgram(u) || "not a CLVM serialisation"),
  Schema.annotations({
    identifier: "SerializedProgram",
    arbitrary: () => (fc) =>
      fc
        .letrec((tie) => ({
          node: fc.oneof(
            { depthSize: "small", withCrossShrink: true },
            atomArbitrary(fc),
            fc.tuple(tie("node"), tie("node")).map(([l, r]) => {
              const a = l as Uint8Array
              const b = r as Uint8Array
              const out = new Uint8Array(1 + a.length + b.length)
              out[0] = 0xff
              out.set(a, 1)
              out.set(b, 1 + a.length)
              return out
            })
          )
        }))
        .node.map((u) => u as Uint8Array)
  })
)

const make = (name: string): Codec<Uint8Array> => ({
  name,
  fixedSize: undefined,
  minSize: 1,
  schema: programSchema,
  sizeOf: (value) => value.length,
  write(c, value) {
    if (!(value instanceof Uint8Array) || !isProgram(value)) fail("InvalidValue", c.offset, `not a ${name}`)
    c.bytes.set(value, c.take(value.length))
  },
  read(c) {
    const start = c.offset
    const end = programEnd(c.bytes, start, c.end)
    c.take(end - start)
    return c.bytes.slice(start, end)
  },
  toJson: (value) => toHex(value),
  fromJson(json) {
    const value = fromHex(json)
    return isProgram(value) ? value : fail("InvalidJson", -1, `not a ${name} serialisation`)
  }
})

export const SerializedProgram = make("SerializedProgram")
export const Program = make("Program")
