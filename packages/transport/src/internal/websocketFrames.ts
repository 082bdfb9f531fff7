/** Small pure helpers for WebSocket frames and close frames. */
import type WebSocket from "ws"

/** Close codes `ws` (RFC 6455 §7.4) lets an endpoint send. */
export const isSendableCloseCode = (code: number): boolean =>
  Number.isInteger(code) &&
  ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))

/** A close frame's reason is at most 123 UTF-8 bytes; longer reasons are cut on a character boundary. */
export const MAX_CLOSE_REASON_BYTES = 123

export const closeReason = (reason: string): string => {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason
  let out = ""
  let bytes = 0
  for (const char of reason) {
    const size = Buffer.byteLength(char)
    if (bytes + size > MAX_CLOSE_REASON_BYTES) break
    out += char
    bytes += size
  }
  return out
}

/**
 * `ws` hands out views into larger socket chunks (up to 64 KiB); a kept frame would pin the whole chunk, so frames are
 * copied. Small ones go through Node's Buffer pool (one 8 KiB slab shared by many frames, no allocation per frame),
 * which bounds what a kept frame pins to the pool slab. A buffer that is exactly its own ArrayBuffer (a large frame
 * `ws` assembled) is already private and is not copied again.
 */
const owned = (buffer: Buffer): Uint8Array => {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) {
    return new Uint8Array(buffer.buffer, 0, buffer.byteLength)
  }
  const copy = Buffer.from(buffer)
  return new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength)
}

/** A frame `ws` handed over (a view into a socket read) as a copy the caller owns. */
export const ownedFrame = (frame: Uint8Array): Uint8Array =>
  owned(Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength))

/**
 * The payload of a binary message as a plain `Uint8Array` over the same memory (no copy): a view into the socket read
 * it came in (`ws` never reuses those). Not a `Buffer`, whose `slice` would not copy.
 */
export const payloadView = (data: WebSocket.RawData): Uint8Array => {
  if (Buffer.isBuffer(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  return new Uint8Array(data)
}
