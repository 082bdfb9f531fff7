/**
 * The exception used inside the fast codec. It is thrown on the (rare) failure path only, so the success path pays nothing
 * for path tracking: each struct/list level catches it, prepends its segment and rethrows. The public functions turn it into
 * a `CodecError` value.
 */
import { CodecError, type CodecErrorReason } from "../CodecError.js"

export class CodecFailure extends Error {
  readonly segments: Array<string> = []
  constructor(
    readonly reason: CodecErrorReason,
    readonly offset: number,
    readonly detail: string
  ) {
    super(detail)
  }

  /** Adds an outer path segment (called while unwinding, innermost first). */
  within(segment: string): this {
    this.segments.push(segment)
    return this
  }

  toError(root: string): CodecError {
    const inner = this.segments.slice().reverse()
    const path = [root, ...inner].filter((s) => s.length > 0).join(".").replace(/\.\[/g, "[")
    return new CodecError({ reason: this.reason, path, offset: this.offset, detail: this.detail })
  }
}

export const fail = (reason: CodecErrorReason, offset: number, detail: string): never => {
  throw new CodecFailure(reason, offset, detail)
}

/** Runs `f`, prefixing the path segment to any failure it throws. */
export const withSegment = <A>(segment: string, f: () => A): A => {
  try {
    return f()
  } catch (e) {
    if (e instanceof CodecFailure) throw e.within(segment)
    throw e
  }
}
