/**
 * The extent of a CLVM serialisation (a `SerializedProgram` carries no length prefix: its length is found by scanning).
 * Follows clvm_rs `serialized_length_from_bytes` (untrusted): atoms, conses and back-references, with back-reference paths
 * validated against the values parsed so far. A first pass without allocation finds the length; only programs that contain
 * back-references get the second, validating pass.
 */
import { fail } from "./failure.js"

const CONS = 0xff
const BACKREF = 0xfe
const NIL = 0x80
/** clvm_rs rejects atoms of 2^34 bytes and more. */
const MAX_ATOM_SIZE = 0x4_0000_0000

/** Returns the position after the atom whose first byte is at `pos`. */
const skipAtom = (bytes: Uint8Array, pos: number, end: number): number => {
  const b = bytes[pos]!
  if (b <= 0x7f || b === NIL) return pos + 1
  let mask = 0x80
  let prefix = 0
  while (b & mask) {
    prefix++
    mask >>= 1
  }
  if (prefix > 6) fail("InvalidProgram", pos, `bad atom length prefix 0x${b.toString(16)}`)
  let size = b & (0xff >> (prefix + 1))
  if (pos + prefix > end) fail("Truncated", pos, "CLVM atom length prefix runs past the input")
  for (let i = 1; i < prefix; i++) size = size * 256 + bytes[pos + i]!
  if (size >= MAX_ATOM_SIZE) fail("InvalidProgram", pos, `atom of ${size} bytes is too large`)
  const next = pos + prefix + size
  if (next > end) fail("Truncated", pos, `CLVM atom of ${size} byte(s) runs past the input`)
  return next
}

/** Position of the atom's payload and its end (for back-reference paths). */
const atomBounds = (bytes: Uint8Array, pos: number, end: number): readonly [number, number] => {
  const next = skipAtom(bytes, pos, end)
  const b = bytes[pos]!
  if (b <= 0x7f) return [pos, pos + 1]
  if (b === NIL) return [next, next]
  let prefix = 0
  for (let mask = 0x80; b & mask; mask >>= 1) prefix++
  return [pos + prefix, next]
}

interface Scan {
  readonly end: number
  readonly hasBackrefs: boolean
}

const scanTrusted = (bytes: Uint8Array, start: number, end: number): Scan => {
  let pending = 1
  let pos = start
  let hasBackrefs = false
  while (pending > 0) {
    if (pos >= end) fail("Truncated", pos, "CLVM program runs past the input")
    const b = bytes[pos]!
    pending--
    if (b === CONS) {
      pending += 2
      pos++
    } else if (b === BACKREF) {
      hasBackrefs = true
      pos++
      if (pos >= end) fail("Truncated", pos, "CLVM back-reference path runs past the input")
      pos = skipAtom(bytes, pos, end)
    } else {
      pos = skipAtom(bytes, pos, end)
    }
  }
  return { end: pos, hasBackrefs }
}

// The validating pass models parsed values only by shape: node 0 is "an atom" (nil included), node k ≥ 1 is the pair
// (left[k], right[k]). Pairs live in two growable Int32Arrays instead of one object each: a 1 MB generator with
// back-references makes ~100k pairs, and as objects they took ~2× the CPU time (measured). The pool grows with the
// input actually scanned (at most 3 pairs per node), never with a length prefix.
const ATOM = 0

class Pairs {
  left: Int32Array
  right: Int32Array
  size = 1

  constructor(capacity: number) {
    this.left = new Int32Array(capacity)
    this.right = new Int32Array(capacity)
  }

  make(l: number, r: number): number {
    if (this.size === this.left.length) {
      const left = new Int32Array(this.left.length * 2)
      left.set(this.left)
      this.left = left
      const right = new Int32Array(this.right.length * 2)
      right.set(this.right)
      this.right = right
    }
    const id = this.size++
    this.left[id] = l
    this.right[id] = r
    return id
  }
}

const traverse = (bytes: Uint8Array, from: number, to: number, root: number, pairs: Pairs, at: number): number => {
  let first = from
  while (first < to && bytes[first] === 0) first++
  if (first === to) return ATOM
  let node = root
  for (let i = to - 1; i >= first; i--) {
    const byte = bytes[i]!
    // In the first non-zero byte, the highest set bit is the sentinel and is not a step.
    const last = i === first ? 31 - Math.clz32(byte) : 8
    for (let bit = 0; bit < last; bit++) {
      if (node === ATOM) return fail("InvalidProgram", at, "back-reference path steps into an atom")
      node = (byte >> bit) & 1 ? pairs.right[node]! : pairs.left[node]!
    }
  }
  return node
}

const PARSE = 0
const FINISH_CONS = 1

const validateBackrefs = (bytes: Uint8Array, start: number, end: number): void => {
  const pairs = new Pairs(Math.max(1024, (end - start) >> 4))
  // ops: PARSE an s-expression, or FINISH_CONS (pop right then left, push the pair)
  let ops = new Uint8Array(64)
  ops[0] = PARSE
  let top = 1
  let stack = ATOM
  let pos = start
  while (top > 0) {
    const op = ops[--top]
    if (op === FINISH_CONS) {
      const right = pairs.left[stack]!
      stack = pairs.right[stack]!
      const left = pairs.left[stack]!
      stack = pairs.right[stack]!
      stack = pairs.make(pairs.make(left, right), stack)
      continue
    }
    const b = bytes[pos]!
    if (b === CONS) {
      pos++
      if (top + 3 > ops.length) {
        const grown = new Uint8Array(ops.length * 2)
        grown.set(ops)
        ops = grown
      }
      ops[top++] = FINISH_CONS
      ops[top++] = PARSE
      ops[top++] = PARSE
    } else if (b === BACKREF) {
      const at = pos
      pos++
      const [from, to] = atomBounds(bytes, pos, end)
      pos = skipAtom(bytes, pos, end)
      stack = pairs.make(traverse(bytes, from, to, stack, pairs, at), stack)
    } else {
      pos = skipAtom(bytes, pos, end)
      stack = pairs.make(ATOM, stack)
    }
  }
}

/** Returns the offset just after the CLVM serialisation that starts at `start`. Throws a codec failure if malformed. */
export const programEnd = (bytes: Uint8Array, start: number, end: number): number => {
  const scan = scanTrusted(bytes, start, end)
  if (scan.hasBackrefs) validateBackrefs(bytes, start, scan.end)
  return scan.end
}
