/** One direction of an in-memory connection: frames in flight with their delivery times, and the waits on them. */
import { Chunk, Clock, Duration, Effect, Option } from "effect"
import type { TransportError } from "../Transport.js"

/** Fibers waiting for a condition on the pipe's mutable state; `notify` re-checks every waiter's condition. */
export class Waiters {
  private readonly waiting = new Set<() => void>()

  /** Completes once `ready()` holds (checked now and on every `notify`). */
  until(ready: () => boolean): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (ready()) {
        resume(Effect.void)
        return
      }
      const check = () => {
        if (!ready()) return
        this.waiting.delete(check)
        resume(Effect.void)
      }
      this.waiting.add(check)
      return Effect.sync(() => {
        this.waiting.delete(check)
      })
    })
  }

  notify(): void {
    for (const check of Array.from(this.waiting)) check()
  }
}

export interface Envelope {
  readonly frame: Uint8Array
  /** Clock time (ms) at which the frame reaches the receiver. Never decreases along a pipe. */
  readonly deliverAt: number
  /** Position in the pipe; cut-offs ("everything before the oversized frame") are expressed in it. */
  readonly seq: number
  /**
   * Stands for a frame over the receiver's limit: the reader stops in front of it (the receiver closes the connection
   * when it arrives), so frames sent after it are never read.
   */
  readonly oversized?: boolean
}

/** How the receiving end's frame stream ends once the buffered frames are read. */
export type PipeEnd =
  | { readonly _tag: "Closed" }
  | { readonly _tag: "Failed"; readonly error: TransportError }

/** Largest chunk one pull hands to the stream. */
const MAX_CHUNK = 1024

export class Pipe {
  private items: Array<Envelope> = []
  private head = 0
  /** Bytes sent but not yet read by the receiver: what the sender's high-water mark is compared with. */
  inFlight = 0
  /** Delivery time of the last frame (keeps order under jitter). */
  lastDeliverAt = 0
  /** Time at which the simulated wire is free again (bandwidth cap). */
  busyUntil = 0
  nextSeq = 0
  end: PipeEnd | undefined = undefined
  readonly readable = new Waiters()
  readonly writable = new Waiters()

  get size(): number {
    return this.items.length - this.head
  }

  push(envelope: Envelope): void {
    this.items.push(envelope)
    this.inFlight += envelope.frame.length
    this.readable.notify()
  }

  /** Ends the pipe; buffered frames for which `keep` is false are lost (they had not arrived). Idempotent. */
  finish(end: PipeEnd, keep: (envelope: Envelope) => boolean): void {
    if (this.end !== undefined) return
    this.end = end
    const marker = this.items.findIndex((e, i) => i >= this.head && e.oversized === true)
    const lost = (e: Envelope, index: number) => !keep(e) || (marker >= 0 && index >= marker)
    while (this.size > 0 && lost(this.items[this.items.length - 1]!, this.items.length - 1)) {
      this.inFlight -= this.items.pop()!.frame.length
    }
    this.readable.notify()
    this.writable.notify()
  }

  private takeArrived(now: number, ignoreTime: boolean): Array<Uint8Array> {
    const out: Array<Uint8Array> = []
    while (out.length < MAX_CHUNK && this.size > 0) {
      const next = this.items[this.head]!
      if (next.oversized === true || (!ignoreTime && next.deliverAt > now)) break
      this.head++
      this.inFlight -= next.frame.length
      out.push(next.frame)
    }
    // Compact now and then so a long-lived pipe does not keep every frame it ever carried.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    this.writable.notify()
    return out
  }

  /**
   * The next frames that have arrived, waiting (on the Clock) for the first one's delivery time. Fails with
   * `None` once the pipe ended cleanly and is empty, with `Some(error)` when it ended with an error.
   */
  readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<TransportError>> = Effect.suspend(() => {
    const loop: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<TransportError>> = Effect.gen(this, function*() {
      yield* this.readable.until(() => this.size > 0 || this.end !== undefined)
      if (this.size === 0) {
        const end = this.end!
        return yield* Effect.fail(end._tag === "Closed" ? Option.none() : Option.some(end.error))
      }
      const now = yield* Clock.currentTimeMillis
      const first = this.items[this.head]!
      if (first.oversized === true) {
        // Nothing passes an oversized frame; `finish` (when it arrives) removes it and what follows.
        yield* this.readable.until(() => this.end !== undefined)
        return yield* loop
      }
      // After the end, whatever is still buffered had arrived before it (see `finish`), so no more waiting.
      if (first.deliverAt > now && this.end === undefined) {
        yield* Effect.race(
          Effect.sleep(Duration.millis(first.deliverAt - now)),
          this.readable.until(() => this.end !== undefined)
        )
        return yield* loop
      }
      return Chunk.unsafeFromArray(this.takeArrived(now, this.end !== undefined))
    })
    return loop
  })
}
