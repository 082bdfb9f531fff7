/**
 * The inbound frame buffer of one connection. `ws` hands frames over synchronously (so order is kept); when the bytes
 * waiting for the consumer pass the high-water mark the owner pauses the socket (`onHigh`) and resumes it once the
 * consumer has taken them (`onLow`). Memory stays bounded by the mark plus what one socket read can still deliver.
 *
 * This is the hot path of every inbound frame, so it is written for the cost of one wake-up (see
 * `bench/transport.mjs`): a waiting consumer is one `Effect.async` without a canceler (a canceler makes Effect wrap the
 * wait in `onInterrupt`, which costs more than the rest of the wake-up), and the consumer takes everything that
 * arrived until it runs, as one batch.
 */
import { Channel, Chunk, Effect, Option, Stream } from "effect"
import type { TransportError } from "../Transport.js"

/** Bookkeeping cost of one buffered frame on top of its bytes, so a flood of tiny frames also hits the mark. */
export const FRAME_OVERHEAD = 64

/**
 * A Stream keeps the chunk it emitted last until it emits the next one, so a consumer waiting for more frames would keep
 * the previous ones alive and let them age into the old generation (for large frames: a full GC every few dozen MiB).
 * After a chunk of at least this many bytes, an empty chunk is emitted before waiting, which releases it.
 */
export const RELEASE_AFTER_BYTES = 64 * 1024

const NO_FRAMES: ReadonlyArray<Uint8Array> = []
const EMPTY_CHUNK: Chunk.Chunk<Uint8Array> = Chunk.empty()
/** Marks "emit an empty chunk" in the Stream's pull (compared by identity). */
const RELEASE_FRAMES: ReadonlyArray<Uint8Array> = []

type Batch = Effect.Effect<ReadonlyArray<Uint8Array>, TransportError>
type Resume = (batch: Batch) => void
/** The channel behind `Inbox.stream`. */
type Producer = Channel.Channel<Chunk.Chunk<Uint8Array>, unknown, TransportError, unknown, void, unknown>

const RELEASE: Batch = Effect.succeed(RELEASE_FRAMES)

export class Inbox {
  private frames: Array<Uint8Array> = []
  private bytes = 0
  private high = false
  /** The last chunk handed to the Stream was large: hand it an empty one before waiting (see `RELEASE_AFTER_BYTES`). */
  private release = false
  /** `undefined` while open; `None` once ended cleanly; `Some(error)` once failed. */
  private done: Option.Option<TransportError> | undefined = undefined
  /**
   * Consumers waiting for frames, all woken by the next frame or the end. There is one (single consumer); a waiter
   * whose fiber was interrupted stays until then, and waking it is a no-op (Effect ignores a resume after interrupt).
   */
  private waiters: Array<Resume> = []

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
    if (this.waiters.length > 0) this.wakeAll()
  }

  end(): void {
    this.finish(Option.none())
  }

  fail(error: TransportError): void {
    this.finish(Option.some(error))
  }

  /**
   * Every frame buffered (at least one), waiting while there is none; an empty array once the connection has ended
   * cleanly; fails with the error that ended it otherwise.
   */
  readonly take: Batch = Effect.suspend(() => this.takeNow() ?? this.wait)

  /** Parks the consumer until `wakeAll`; one Effect reused by every wait. */
  private readonly wait: Batch = Effect.async<ReadonlyArray<Uint8Array>, TransportError>((resume) => {
    this.waiters.push(resume)
  })

  /** The same batches as a Stream, built from channel primitives (fewer steps per batch than a generic pull). */
  readonly stream: Stream.Stream<Uint8Array, TransportError> = Stream.fromChannel(
    Channel.suspend(() => this.streamLoop)
  )

  /** Bytes of the batch handed out last (decides `release`). */
  private lastBytes = 0

  private readonly streamPull: Batch = Effect.suspend(() => {
    if (this.release && this.frames.length === 0 && this.done === undefined) {
      this.release = false
      return RELEASE
    }
    return this.takeNow() ?? this.wait
  })

  private readonly emit = (frames: ReadonlyArray<Uint8Array>): Producer => {
    if (frames === RELEASE_FRAMES) return Channel.flatMap(Channel.write(EMPTY_CHUNK), this.again)
    if (frames.length === 0) return Channel.void
    this.release = this.lastBytes >= RELEASE_AFTER_BYTES
    return Channel.flatMap(Channel.write(Chunk.unsafeFromArray(frames)), this.again)
  }

  private readonly streamLoop: Producer = Channel.flatMap(Channel.fromEffect(this.streamPull), this.emit)

  private readonly again = () => this.streamLoop

  private takeNow(): Batch | undefined {
    if (this.frames.length > 0) {
      const frames = this.frames
      this.lastBytes = this.bytes
      this.frames = []
      this.bytes = 0
      if (this.high) {
        this.high = false
        this.onLow()
      }
      return Effect.succeed(frames)
    }
    if (this.done === undefined) return undefined
    return Option.isNone(this.done) ? Effect.succeed(NO_FRAMES) : Effect.fail(this.done.value)
  }

  private finish(done: Option.Option<TransportError>): void {
    if (this.done !== undefined) return
    this.done = done
    this.wakeAll()
  }

  private wakeAll(): void {
    const waiters = this.waiters
    this.waiters = []
    // The woken consumer takes everything that arrived until it actually runs, not just this frame.
    for (const resume of waiters) resume(this.take)
  }
}
