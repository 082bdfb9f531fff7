/**
 * The inbound frame buffer of one connection. `ws` hands frames over synchronously (so order is kept); when the bytes
 * waiting for the consumer pass the high-water mark the owner pauses the socket (`onHigh`) and resumes it once the
 * consumer has taken them (`onLow`). Memory stays bounded by the mark plus what one socket read can still deliver.
 */
import { Chunk, Effect, Option } from "effect"
import type { TransportError } from "../Transport.js"

/** Bookkeeping cost of one buffered frame on top of its bytes, so a flood of tiny frames also hits the mark. */
export const FRAME_OVERHEAD = 64

/**
 * A Stream keeps the chunk it emitted last until it emits the next one, so a consumer waiting for more frames would keep
 * the previous ones alive and let them age into the old generation (for large frames: a full GC every few dozen MiB).
 * After a chunk of at least this many bytes, an empty chunk is emitted before waiting, which releases it.
 */
export const RELEASE_AFTER_BYTES = 64 * 1024

const EMPTY: Chunk.Chunk<Uint8Array> = Chunk.empty()

type Pull = Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<TransportError>>
type Resume = (pull: Pull) => void

export class Inbox {
  private frames: Array<Uint8Array> = []
  private bytes = 0
  private high = false
  /** The last chunk handed out was large: hand out an empty one before waiting (see `RELEASE_AFTER_BYTES`). */
  private release = false
  /** `undefined` while open; `None` once ended cleanly; `Some(error)` once failed. */
  private done: Option.Option<TransportError> | undefined = undefined
  private readonly waiters: Array<Resume> = []

  constructor(
    private readonly highWaterMark: number,
    private readonly onHigh: () => void,
    private readonly onLow: () => void
  ) {}

  get bufferedBytes(): number {
    return this.bytes
  }

  get bufferedFrames(): number {
    return this.frames.length
  }

  offer(frame: Uint8Array): void {
    if (this.done !== undefined) return
    this.frames.push(frame)
    this.bytes += frame.byteLength + FRAME_OVERHEAD
    if (!this.high && this.bytes > this.highWaterMark) {
      this.high = true
      this.onHigh()
    }
    this.wake()
  }

  end(): void {
    this.finish(Option.none())
  }

  fail(error: TransportError): void {
    this.finish(Option.some(error))
  }

  /** Everything buffered as one chunk; waits when empty; fails with `None` at the end, `Some` on failure. */
  readonly pull: Pull = Effect.suspend(() => this.take() ?? Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<TransportError>>((resume) => {
    this.waiters.push(resume)
    return Effect.sync(() => {
      const index = this.waiters.indexOf(resume)
      if (index >= 0) this.waiters.splice(index, 1)
    })
  }))

  private take(): Pull | undefined {
    if (this.frames.length > 0) {
      const chunk = Chunk.unsafeFromArray(this.frames)
      this.release = this.bytes >= RELEASE_AFTER_BYTES
      this.frames = []
      this.bytes = 0
      if (this.high) {
        this.high = false
        this.onLow()
      }
      return Effect.succeed(chunk)
    }
    if (this.done !== undefined) return Effect.fail(this.done)
    if (this.release) {
      this.release = false
      return Effect.succeed(EMPTY)
    }
    return undefined
  }

  private finish(done: Option.Option<TransportError>): void {
    if (this.done !== undefined) return
    this.done = done
    while (this.waiters.length > 0) this.wake()
  }

  private wake(): void {
    const resume = this.waiters.shift()
    // The woken consumer takes everything that arrived until it actually runs, not just this frame.
    if (resume !== undefined) resume(this.pull)
  }
}
