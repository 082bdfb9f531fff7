/** `0x`-prefixed lowercase hex, the reference's JSON form of bytes. */
import { fail } from "./failure.js"

export const toHex = (bytes: Uint8Array): string => "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")

const HEX = /^[0-9a-fA-F]*$/

/** Parses hex with or without `0x`. The empty string is empty bytes (chia_rs renders an empty `Bytes` as `""`). */
export const fromHex = (text: unknown): Uint8Array => {
  if (typeof text !== "string") return fail("InvalidJson", -1, `expected a hex string, got ${typeof text}`)
  const digits = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text
  if (digits.length % 2 !== 0 || !HEX.test(digits)) return fail("InvalidJson", -1, `not a hex string: ${text.slice(0, 40)}`)
  return new Uint8Array(Buffer.from(digits, "hex"))
}
