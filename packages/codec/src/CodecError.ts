/**
 * The one error type of the codec. `path` names the field that failed (e.g. `RespondBlock.block.foliage.reward_block_hash`),
 * `offset` the byte position in the input where it failed.
 */
import { Data } from "effect"

export type CodecErrorReason =
  /** The input ended before the value did. */
  | "Truncated"
  /** The value ended before the input did (top-level parses must consume everything). */
  | "TrailingBytes"
  /** A bool byte other than 0 or 1. */
  | "InvalidBool"
  /** An Optional flag byte other than 0 or 1 (or a packed prefix out of its range). */
  | "InvalidOptional"
  /** A `str` whose bytes are not valid UTF-8, or a string that cannot be encoded as UTF-8. */
  | "InvalidUtf8"
  /** A length or count prefix larger than the bytes that are left. */
  | "LengthTooLarge"
  /** A malformed CLVM serialisation, or one over the depth/size bounds. */
  | "InvalidProgram"
  /** A value that does not fit its type when encoding (out of range, wrong length, wrong shape). */
  | "InvalidValue"
  /** A Message whose type number is not in the catalogue. */
  | "UnknownMessageType"
  /** A Message over the maximum size (50 MiB by default). */
  | "MessageTooLarge"
  /** JSON that does not match the type. */
  | "InvalidJson"
  /** A class name that is not in the catalogue. */
  | "UnknownClass"

export class CodecError extends Data.TaggedError("CodecError")<{
  readonly reason: CodecErrorReason
  /** Dotted path of the field, starting with the outermost type name. */
  readonly path: string
  /** Byte offset in the input (decoding) or output (encoding) where the failure was found; -1 for JSON. */
  readonly offset: number
  readonly detail: string
}> {
  override get message(): string {
    const at = this.offset >= 0 ? ` at offset ${this.offset}` : ""
    return `${this.reason} in ${this.path || "<root>"}${at}: ${this.detail}`
  }
}
