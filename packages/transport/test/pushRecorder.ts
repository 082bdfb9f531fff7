/**
 * A recording `FrameConsumer` for the push-delivery tests (`Connection.deliverTo`, `deliverByPull`): it keeps a copy of
 * every frame and every `onEnd`, notes calls a transport must not make, and lets a test wait for a count.
 */
import { Effect } from "effect"
import type { FrameConsumer, TransportError } from "../src/Transport.js"

/** What `onFrame` does with the frame at `index` (0-based, in delivery order): accept it, pause after it, or throw. */
export type Verdict = "take" | "pause" | "throw"

export class PushRecorder {
  private readonly received: Array<Uint8Array> = []
  private readonly endings: Array<TransportError | undefined> = []
  private framesBeforeEnd: number | undefined = undefined
  private late = 0
  private threw = false
  private readonly checks = new Set<() => void>()
  /** What `onFrame` throws when the verdict is `"throw"`. */
  readonly failure = new Error("frame consumer failure (test)")

  constructor(private readonly verdict: (index: number) => Verdict = () => "take") {}

  readonly consumer: FrameConsumer = {
    onFrame: (frame) => {
      if (this.endings.length > 0 || this.threw) this.late++
      const index = this.received.length
      // The frame may be a view into the transport's read buffer: copied, as the contract asks of a consumer.
      this.received.push(frame.slice())
      const verdict = this.verdict(index)
      this.notify()
      if (verdict === "throw") {
        this.threw = true
        throw this.failure
      }
      return verdict === "take"
    },
    onEnd: (error) => {
      if (this.endings.length === 0) this.framesBeforeEnd = this.received.length
      this.endings.push(error)
      this.notify()
    }
  }

  /** Copies of the frames handed over, in order. */
  get frames(): ReadonlyArray<Uint8Array> {
    return this.received
  }

  /** The argument of every `onEnd` call (a transport makes at most one). */
  get ends(): ReadonlyArray<TransportError | undefined> {
    return this.endings
  }

  /** Frames handed over before the first `onEnd`. */
  get framesAtEnd(): number | undefined {
    return this.framesBeforeEnd
  }

  /** `onFrame` calls after `onEnd` or after `onFrame` threw (a transport makes none). */
  get lateFrames(): number {
    return this.late
  }

  /** The number of frames handed over so far. */
  readonly count: Effect.Effect<number> = Effect.sync(() => this.received.length)

  /** Completes once at least `n` frames have been handed over. Unbounded: callers bound it. */
  awaitFrames(n: number): Effect.Effect<void> {
    return this.until(() => this.received.length >= n)
  }

  /** Completes with the first `onEnd` argument once it has been called. Unbounded: callers bound it. */
  readonly ended: Effect.Effect<TransportError | undefined> = Effect.suspend(() =>
    Effect.map(this.until(() => this.endings.length > 0), () => this.endings[0])
  )

  private until(ready: () => boolean): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (ready()) return resume(Effect.void)
      const check = () => {
        if (!ready()) return
        this.checks.delete(check)
        resume(Effect.void)
      }
      this.checks.add(check)
      return Effect.sync(() => {
        this.checks.delete(check)
      })
    })
  }

  private notify(): void {
    for (const check of Array.from(this.checks)) check()
  }
}
