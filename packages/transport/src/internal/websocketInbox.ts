/**
 * The inbound frame buffer of one connection. `ws` hands frames over synchronously (so order is kept); when the bytes
 * waiting for the consumer pass the high-water mark the owner pauses the socket (`onHigh`) and resumes it once the
 * consumer has taken them (`onLow`). Memory stays bounded by the mark plus what one socket read can still deliver.
 *
 * Three ways to consume, one at a time (single consumer):
 * - push (`deliverTo`): each frame goes straight from the socket event to a synchronous consumer; nothing is buffered
 *   unless the consumer pauses. No Effect wake-up at all, so this is the fast path (see `bench/transport.mjs`).
 * - `take`: every frame buffered, as one batch per wake-up. A waiting consumer is one `Effect.async` without a
 *   canceler (a canceler makes Effect wrap the wait in `onInterrupt`, which costs more than the rest of the wake-up).
 * - `stream`: the same batches as a Stream.
 */
import { Channel, Chunk, Effect, Option, Stream } from "effect"
import type { FrameConsumer, FrameDelivery, TransportError } from "../Transport.js"

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
  /** Push mode reads `frames` from here on (no `shift`, which is linear). */
  private head = 0
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
  /** Push mode: the consumer, whether it asked for a pause, whether a delivery loop runs, whether it saw the end. */
  private consumer: FrameConsumer | undefined = undefined
  private paused = false
  private delivering = false
  /** `resume` was called while the consumer was being handed a frame: its pause, if it asks for one, is cancelled. */
  private resumedWhileHanding = false
  private endDelivered = false

  constructor(
    private readonly highWaterMark: number,
    private readonly onHigh: () => void,
    private readonly onLow: () => void,
    /** The push consumer threw: the owner closes the connection (the consumer has stopped receiving). */
    private readonly onConsumerFailure: (cause: unknown) => void,
    /**
     * Makes the copy of an offered frame that is kept in the buffer. A frame handed straight to a push consumer is not
     * copied: it is a view into the socket read, valid as long as it is kept (the consumer copies what it keeps long).
     */
    private readonly own: (frame: Uint8Array) => Uint8Array
  ) {}

  get bufferedBytes(): number {
    return this.bytes
  }

  get bufferedFrames(): number {
    return this.frames.length - this.head
  }

  offer(view: Uint8Array): void {
    if (this.done !== undefined) return
    // Push mode, nothing queued in front of this frame: straight to the consumer.
    if (this.consumer !== undefined && !this.paused && !this.delivering && this.head === this.frames.length) {
      this.delivering = true
      this.paused = !this.hand(view)
      this.delivering = false
      // Frames or the end may have come meanwhile (the consumer may close, or resume a pause of its own).
      if (!this.paused && (this.head < this.frames.length || this.done !== undefined)) this.deliverBuffered()
      return
    }
    const frame = this.own(view)
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

  /** Switches to push mode: frames already buffered are handed over now, later ones as they arrive. */
  deliverTo(consumer: FrameConsumer): FrameDelivery {
    this.consumer = consumer
    this.paused = false
    this.deliverBuffered()
    return this.delivery
  }

  private readonly delivery: FrameDelivery = {
    resume: () => {
      if (this.delivering) this.resumedWhileHanding = true
      if (!this.paused) return
      this.paused = false
      // Called from inside `onFrame`: the running loop carries on.
      if (!this.delivering) this.deliverBuffered()
    }
  }

  /** Hands buffered frames to the consumer until it pauses or none is left, then the end if it has come. */
  private deliverBuffered(): void {
    if (this.delivering) return
    this.delivering = true
    while (!this.paused && this.head < this.frames.length) {
      const frame = this.frames[this.head]!
      this.frames[this.head++] = undefined as never
      this.bytes -= frame.byteLength + FRAME_OVERHEAD
      this.paused = !this.hand(frame)
    }
    if (this.head > 0 && this.head === this.frames.length) {
      this.frames.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head)
      this.head = 0
    }
    this.delivering = false
    if (this.high && this.bytes <= this.highWaterMark) {
      this.high = false
      this.onLow()
    }
    if (!this.paused && this.head === this.frames.length) this.deliverEnd()
  }

  private hand(frame: Uint8Array): boolean {
    this.resumedWhileHanding = false
    try {
      return this.consumer!.onFrame(frame) || this.resumedWhileHanding
    } catch (cause) {
      this.paused = true
      this.onConsumerFailure(cause)
      return false
    }
  }

  private deliverEnd(): void {
    if (this.done === undefined || this.endDelivered || this.consumer === undefined) return
    this.endDelivered = true
    const error = Option.getOrUndefined(this.done)
    try {
      this.consumer.onEnd(error)
    } catch {
      // The connection has ended already; there is nothing left to close or report to.
    }
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
      // Pull mode never leaves a `head` offset behind (only push mode advances it).
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
    if (this.consumer !== undefined && !this.paused && !this.delivering && this.head === this.frames.length) {
      this.deliverEnd()
    }
  }

  private wakeAll(): void {
    const waiters = this.waiters
    this.waiters = []
    // The woken consumer takes everything that arrived until it actually runs, not just this frame.
    for (const resume of waiters) resume(this.take)
  }
}
