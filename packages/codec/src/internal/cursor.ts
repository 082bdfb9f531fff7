/**
 * A read or write position over one byte array. One DataView is made per top-level call (with the array's own byteOffset,
 * since buffers from `ws` are views into larger chunks) and shared by every field.
 */
import { fail } from "./failure.js"

export class Cursor {
  readonly bytes: Uint8Array
  readonly view: DataView
  offset: number
  /** Nesting depth of the value being read; bounds recursion on hostile input. */
  depth = 0

  constructor(
    bytes: Uint8Array,
    offset = 0,
    readonly end: number = bytes.length
  ) {
    // A Node `Buffer` (ws frames, file reads) is a Uint8Array subclass whose `slice` returns a *view*: decoded byte fields
    // would pin the frame and alias it. A plain Uint8Array over the same memory makes every `slice` a copy, and keeps the
    // hot paths on one array class.
    this.bytes = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = offset
  }

  get remaining(): number {
    return this.end - this.offset
  }

  /** Fails with `Truncated` unless `n` more bytes are available; returns the start offset and advances. */
  take(n: number): number {
    const start = this.offset
    if (n > this.end - start) {
      fail("Truncated", start, `needs ${n} byte(s), ${this.end - start} left`)
    }
    this.offset = start + n
    return start
  }
}
