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

const owned = (buffer: Buffer): Uint8Array =>
  // `ws` hands out views into larger socket or pool chunks; copy those so a kept frame pins nothing else. A buffer that
  // is exactly its own ArrayBuffer (a large frame `ws` assembled) is already private to us and is not copied again.
  buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength
    ? new Uint8Array(buffer.buffer, 0, buffer.byteLength)
    : new Uint8Array(buffer)

/** The payload of a binary message as a `Uint8Array` the caller owns. */
export const ownedPayload = (data: WebSocket.RawData): Uint8Array => {
  if (Buffer.isBuffer(data)) return owned(data)
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  return new Uint8Array(data.slice(0))
}
