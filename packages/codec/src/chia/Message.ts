/**
 * The Chia `Message` envelope (chia-messages.md §E.1): `type u8, id Optional[u16], data bytes`. Exactly one envelope per
 * WebSocket binary message, no extra framing; the whole frame must be consumed.
 *
 * Decoding runs once per inbound frame, so the reader is hand-written (no per-field closures, one object allocated) and
 * `data` is a **view** (`subarray`) into the frame rather than a copy: payload codecs copy every byte they keep
 * (`bytes32`, `bytes`, programs are `slice`d), so the view dies with the payload decode. Code that keeps `data` itself
 * beyond that (e.g. forwarding a frame later) must `slice()` it, or it pins the whole frame (and with `ws`, the socket's
 * receive chunk). The bench (`bench/codec.mjs`) measures view vs copy.
 */
import { Either, Schema } from "effect"
import { type Codec, Cursor } from "../Codec.js"
import { CodecError, type CodecErrorReason } from "../CodecError.js"
import { CodecFailure, fail } from "../internal/failure.js"
import { fromHex, toHex } from "../internal/hex.js"
import { bytes, uint16, uint8 } from "../Primitives.js"

/** A decoded envelope. `id` is present on requests that expect a response and on those responses. */
export interface Message {
  /** The `ProtocolMessageTypes` number; any u8 is accepted here, the catalogue decides whether it is known. */
  readonly type: number
  readonly id: number | undefined
  /** The serialised payload. A view into the frame when decoded (see the module note). */
  readonly data: Uint8Array
}

/** `max_message_size` of the reference (`chia/server/server.py`): 50 MiB, on both sides of a connection. */
export const MAX_MESSAGE_SIZE = 50 * 1024 * 1024

/** Type byte + Optional flag + u32 data length: the smallest envelope (`2b 00 00000000`). */
export const MIN_MESSAGE_SIZE = 6

/** The header size for a given id: type, flag, [id], data length. */
export const headerSize = (id: number | undefined): number => (id === undefined ? 6 : 8)

const failIn = (field: string, reason: CodecErrorReason, offset: number, detail: string): never => {
  throw new CodecFailure(reason, offset, detail).within(field)
}

const read = (c: Cursor): Message => {
  const bytes = c.bytes
  const end = c.end
  let pos = c.offset
  if (pos >= end) failIn("type", "Truncated", pos, "needs 1 byte(s), 0 left")
  const type = bytes[pos]!
  pos++
  if (pos >= end) failIn("id", "Truncated", pos, "needs 1 byte(s), 0 left")
  const flag = bytes[pos]!
  pos++
  let id: number | undefined
  if (flag === 1) {
    if (end - pos < 2) failIn("id", "Truncated", pos, `needs 2 byte(s), ${end - pos} left`)
    id = (bytes[pos]! << 8) | bytes[pos + 1]!
    pos += 2
  } else if (flag !== 0) {
    failIn("id", "InvalidOptional", pos - 1, `Optional flag must be 0 or 1, got ${flag}`)
  }
  if (end - pos < 4) failIn("data", "Truncated", pos, `needs 4 byte(s), ${end - pos} left`)
  // `>>> 0` keeps the top bit unsigned; cheaper than a DataView call on this path.
  const length = ((bytes[pos]! << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0
  if (length > end - pos - 4) {
    failIn("data", "LengthTooLarge", pos, `length prefix ${length} exceeds the ${end - pos - 4} byte(s) left`)
  }
  pos += 4
  c.offset = pos + length
  return { type, id, data: bytes.subarray(pos, pos + length) }
}

const within = <A>(field: string, f: () => A): A => {
  try {
    return f()
  } catch (e) {
    throw e instanceof CodecFailure ? e.within(field) : e
  }
}

const isInteger = (value: number, max: number): boolean => Number.isInteger(value) && value >= 0 && value <= max

/**
 * type, Optional flag (+ id), data length: everything before the payload. Written byte by byte (this runs for every
 * frame sent; per-field helpers would cost a closure each).
 */
const writeHeader = (c: Cursor, type: number, id: number | undefined, length: number): void => {
  const start = c.offset
  if (!isInteger(type, 0xff)) failIn("type", "InvalidValue", start, `${type} is not a uint8`)
  if (id !== undefined && !isInteger(id, 0xffff)) failIn("id", "InvalidValue", start + 2, `${id} is not a uint16`)
  if (!isInteger(length, 0xffffffff)) failIn("data", "InvalidValue", start, `${length} is not a uint32`)
  const bytes = c.bytes
  let pos = c.take(headerSize(id))
  bytes[pos++] = type
  if (id === undefined) {
    bytes[pos++] = 0
  } else {
    bytes[pos++] = 1
    bytes[pos++] = id >>> 8
    bytes[pos++] = id
  }
  bytes[pos++] = length >>> 24
  bytes[pos++] = length >>> 16
  bytes[pos++] = length >>> 8
  bytes[pos] = length
}

const write = (c: Cursor, value: Message): void => {
  if (typeof value !== "object" || value === null) fail("InvalidValue", c.offset, "expected a Message object")
  const { data, id, type } = value
  if (!(data instanceof Uint8Array)) fail("InvalidValue", c.offset, `expected bytes for data, got ${typeof data}`)
  writeHeader(c, type, id, data.length)
  c.bytes.set(data, c.take(data.length))
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The envelope codec. JSON: `{ "type": n, "id": n | null, "data": "0x…" }`. */
export const Message: Codec<Message> = {
  name: "Message",
  fixedSize: undefined,
  minSize: MIN_MESSAGE_SIZE,
  schema: Schema.Struct({ type: uint8.schema, id: Schema.UndefinedOr(uint16.schema), data: bytes.schema }).annotations({
    identifier: "Message"
  }),
  sizeOf: (value) => headerSize(value.id) + value.data.length,
  write,
  read,
  toJson: (value) => ({ type: value.type, id: value.id ?? null, data: toHex(value.data) }),
  fromJson(json) {
    if (!isRecord(json)) return fail("InvalidJson", -1, "expected an object for Message")
    for (const key of Object.keys(json)) {
      if (key !== "type" && key !== "id" && key !== "data") fail("InvalidJson", -1, `unknown field "${key}" in Message`)
    }
    return {
      type: within("type", () => uint8.fromJson(json.type)),
      id: within("id", () => (json.id === null || json.id === undefined ? undefined : uint16.fromJson(json.id))),
      data: within("data", () => fromHex(json.data))
    }
  }
}

const tooLarge = (size: number, max: number, offset: number): CodecError =>
  new CodecError({
    reason: "MessageTooLarge",
    path: "Message",
    offset,
    detail: `${size} bytes is over the maximum message size of ${max} bytes`
  })

const toError = (e: unknown): CodecError => {
  if (e instanceof CodecFailure) return e.toError("Message")
  throw e
}

/**
 * Decodes one WebSocket binary frame. Frames over `maxSize` (default `MAX_MESSAGE_SIZE`) fail with `MessageTooLarge`
 * before any parsing; trailing bytes after `data` fail with `TrailingBytes`. `data` is a view into `frame`.
 */
export const decodeFrame = (
  frame: Uint8Array,
  maxSize: number = MAX_MESSAGE_SIZE
): Either.Either<Message, CodecError> => {
  if (frame.length > maxSize) return Either.left(tooLarge(frame.length, maxSize, 0))
  const cursor = new Cursor(frame)
  let message: Message
  try {
    message = read(cursor)
  } catch (e) {
    return Either.left(toError(e))
  }
  if (cursor.offset !== frame.length) {
    return Either.left(
      new CodecError({
        reason: "TrailingBytes",
        path: "Message",
        offset: cursor.offset,
        detail: `${frame.length - cursor.offset} byte(s) not consumed`
      })
    )
  }
  return Either.right(message)
}

/** Encodes an envelope around already-serialised payload bytes; fails with `MessageTooLarge` over `maxSize`. */
export const encodeFrame = (
  message: Message,
  maxSize: number = MAX_MESSAGE_SIZE
): Either.Either<Uint8Array, CodecError> =>
  encodeWith(message.type, message.id, maxSize, message.data.length, RAW_PAYLOAD, message.data)

/** Writes already-serialised payload bytes. */
const RAW_PAYLOAD: PayloadWriter<Uint8Array> = {
  write: (c, data) => c.bytes.set(data, c.take(data.length))
}

/**
 * Serialises `value` with `codec` straight into a new envelope: sizes first, one allocation, no intermediate payload
 * buffer. Fails with `MessageTooLarge` when the whole frame would be over `maxSize` (the peer would drop it).
 */
export const encodePayload = <A>(
  type: number,
  id: number | undefined,
  codec: Codec<A>,
  value: A,
  maxSize: number = MAX_MESSAGE_SIZE
): Either.Either<Uint8Array, CodecError> => {
  let length: number
  try {
    length = codec.fixedSize ?? codec.sizeOf(value)
  } catch (e) {
    // sizeOf on a value of the wrong shape (a missing field, a non-array list) is an invalid value, not a crash.
    if (e instanceof TypeError || e instanceof CodecFailure) {
      const detail = `value does not fit ${codec.name}: ${e.message}`
      return Either.left(new CodecError({ reason: "InvalidValue", path: "Message.data", offset: -1, detail }))
    }
    throw e
  }
  return encodeWith(type, id, maxSize, length, codec, value)
}

/** Off-heap memory small frames are cut from, as Node's Buffer pool does (same size, so a kept frame pins as much). */
const SLAB_SIZE = 8 * 1024
/** Frames over this size get memory of their own. */
const SLAB_MAX_FRAME = SLAB_SIZE / 4

// The slab being cut (an allocation cache: only ever replaced, never shared state anyone reads back).
let slab = new ArrayBuffer(0)
let slabOffset = 0

/**
 * A frame goes to a socket, which needs its `.buffer`; a small array made with `new Uint8Array(n)` lives inside the
 * V8 heap and would first have to be moved out of it (about a microsecond). Frames are cut from an off-heap slab
 * instead, as a plain Uint8Array (whose `slice` copies, unlike a Buffer's). Cutting the slab here rather than through
 * `Buffer.allocUnsafe` saves a Buffer object per frame (about 50 ns, measured). Every byte gets written.
 */
const allocateFrame = (size: number): Uint8Array => {
  if (size > SLAB_MAX_FRAME) {
    const own = Buffer.allocUnsafe(size)
    return new Uint8Array(own.buffer, own.byteOffset, size)
  }
  if (slabOffset + size > slab.byteLength) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE).buffer
    slabOffset = 0
  }
  const frame = new Uint8Array(slab, slabOffset, size)
  // 8-byte alignment, as Node's pool keeps.
  slabOffset = (slabOffset + size + 7) & ~7
  return frame
}

/** What writes a payload (a codec, or raw bytes); passed with its value, so no closure is made per frame. */
interface PayloadWriter<A> {
  readonly write: (c: Cursor, value: A) => void
}

/** Encodes into one exactly-sized allocation. */
const encodeWith = <A>(
  type: number,
  id: number | undefined,
  maxSize: number,
  length: number,
  payload: PayloadWriter<A>,
  value: A
): Either.Either<Uint8Array, CodecError> => {
  const size = headerSize(id) + length
  if (size > maxSize) return Either.left(tooLarge(size, maxSize, 0))
  if (length > 0xffffffff) {
    return Either.left(
      new CodecError({
        reason: "InvalidValue",
        path: "Message.data",
        offset: -1,
        detail: `${length} bytes do not fit a u32 length`
      })
    )
  }
  const out = allocateFrame(size)
  const c = new Cursor(out)
  try {
    writeHeader(c, type, id, length)
    try {
      payload.write(c, value)
    } catch (e) {
      throw e instanceof CodecFailure ? e.within("data") : e
    }
    if (c.offset !== size) {
      fail("InvalidValue", c.offset, `the payload wrote ${c.offset - headerSize(id)} of ${length} bytes`)
    }
  } catch (e) {
    return Either.left(toError(e))
  }
  return Either.right(out)
}
