/**
 * A read or write position over one byte array. The primitives read and write integers byte by byte on `bytes`; a
 * DataView (with the array's own byteOffset, since buffers from `ws` are views into larger chunks) is made only if some
 * codec asks for `view`: creating one costs ~200 ns, and for a small array (≤ 64 bytes, kept inside the V8 heap) its
 * `.buffer` must first be moved out of the heap — more than a whole small message takes to decode.
 */
import { fail } from "./failure.js"

export class Cursor {
  readonly bytes: Uint8Array
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
    this.bytes =
      bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = offset
  }

  #view: DataView | undefined

  /** A DataView over `bytes`, made on first use. */
  get view(): DataView {
    return (this.#view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength))
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
